"""State changes on customers that are not the status workflow: adding and removing domains."""

from __future__ import annotations

import logging
import re

from django.db import IntegrityError, transaction

from customers.models import Customer, Domain
from customers.roles import is_ops
from tracker.probe.domains import DomainNameError, normalize_domain

logger = logging.getLogger(__name__)

# One submission may paste a list; more than this is an import's job.
MAX_NAMES_PER_SUBMISSION = 100
_SEPARATORS = re.compile(r"[\s,;]+")


class DomainChangeError(Exception):
    """Nothing was saved; `errors` says why, one message per problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


def split_domain_names(text: str) -> list[str]:
    """The names in `text`, separated by spaces, commas, semicolons or newlines."""
    return [name for name in _SEPARATORS.split(text) if name]


def domain_add(customer: Customer, names: list[str], by) -> list[Domain]:
    """Add `names` to `customer`, all or nothing; DomainChangeError lists every bad name.

    A name that belongs to another customer is refused; only ops learn which customer
    that is (a rep must not learn about other reps' customers).
    """
    errors: list[str] = []
    wanted: dict[str, str] = {}  # A-label -> what was typed, first spelling wins
    for name in names:
        try:
            wanted.setdefault(normalize_domain(name), name)
        except DomainNameError as exc:
            errors.append(str(exc))
    if not wanted and not errors:
        errors.append("Enter at least one domain name.")
    if len(wanted) > MAX_NAMES_PER_SUBMISSION:
        errors.append(f"At most {MAX_NAMES_PER_SUBMISSION} domains at a time; use the import for more.")
    existing = Domain.objects.filter(name__in=wanted).select_related("customer")
    for domain in existing:
        errors.append(_taken_message(domain, customer, by))
    if errors:
        raise DomainChangeError(errors)
    try:
        with transaction.atomic():
            added = [Domain.objects.create(customer=customer, name=name) for name in sorted(wanted)]
    except IntegrityError:
        # Someone added one of these names between our check and the insert.
        raise DomainChangeError(
            ["One of these domains was just added by someone else; reload the page and try again."]
        ) from None
    logger.info("domains added to customer %s by %s: %s", customer.pk, by, ", ".join(d.name for d in added))
    return added


def _taken_message(domain: Domain, customer: Customer, by) -> str:
    if domain.customer_id == customer.pk:
        return f"{domain.name} is already one of this customer's domains."
    if is_ops(by):
        return f"{domain.name} already belongs to {domain.customer}."
    return f"{domain.name} already belongs to another customer; ask operations if it should move."


def domain_history(domain: Domain) -> tuple[int, int]:
    """How many stored checks and follow-up tasks (any status) removing `domain` would delete."""
    return domain.checks.count(), domain.tasks.count()


def domain_remove(domain: Domain, by) -> None:
    """Delete `domain`, unless it has check history or follow-up tasks (DomainChangeError).

    Checks and tasks protect their domain (on_delete=PROTECT in tracker.models.history and
    tracker.models.followup): deleting a probed domain would erase what the sweeps found and
    what reps did about it, so it is refused here with the counts, before the database would. Only a domain nothing has recorded yet (typically a typo) goes.
    """
    with transaction.atomic():
        domain = Domain.objects.select_for_update().select_related("customer").get(pk=domain.pk)
        checks, tasks = domain_history(domain)
        if checks or tasks:
            raise DomainChangeError([domain_kept_message(domain, checks, tasks)])
        name, customer_id = domain.name, domain.customer_id
        # DomainState rows without checks are empty placeholders: they may go with it.
        domain.delete()
    logger.info("domain %s removed from customer %s by %s", name, customer_id, by)


def domain_kept_message(domain: Domain, checks: int, tasks: int) -> str:
    recorded = []
    if checks:
        recorded.append(f"{checks} stored check{'s' if checks != 1 else ''}")
    if tasks:
        recorded.append(f"{tasks} follow-up task{'s' if tasks != 1 else ''}")
    return (
        f"{domain.name} was not removed: it has {' and '.join(recorded)}, and removing it would "
        f"delete that history. If the customer no longer uses it, note that on the customer and "
        f"close its open tasks instead."
    )
