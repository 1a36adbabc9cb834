"""Customer notices: a draft stating the exact DNS change per domain, then sent and recorded.

`notice_draft(customer, campaign, by=None)` renders the campaign's editable
`NoticeTemplate` (or the default, templates/tracker/email/notice_default.txt)
with each domain's changes from its latest check: the SPF record to publish
(and where), the MX hosts to set, the deadline. The draft is a row; the rep
may edit subject and body before `notice_send(notice, by, via_email=True)`,
which mails it (or records that it went by other means) exactly once and
stamps the customer's `notice_sent_at`.

Security: the campaign template is Django template syntax stored in the
database and edited by ops, so it is rendered by a bare engine (no loaders, no
tag libraries to `{% load %}`) with plain data only (dicts, strings, dates,
lists), never model instances: no way to walk from `customer` to the rep's
password hash or to the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.mail import EmailMessage
from django.db import transaction
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.template.loader import get_template
from django.utils import timezone

from customers.models import Customer
from tracker.choices import NoticeChannel
from tracker.models import CustomerNotice, DomainState, NoticeTemplate
from tracker.probe.stored import StoredReport

DEFAULT_SUBJECT = "Action needed: DNS changes for your mail before {{ deadline|date:'j F Y' }}"
DEFAULT_TEMPLATE = "tracker/email/notice_default.txt"


# Only the built-in tags and filters; `{% include %}`/`{% extends %}` find no template.
NOTICE_ENGINE = Engine(dirs=[], app_dirs=False, libraries={}, autoescape=False)

# Templates are edited by people: bounded so that none can exhaust the stack or the memory.
MAX_NESTING = 20
MAX_OUTPUT = 200 * 1024
_NESTING_TAGS = frozenset(
    {"if", "for", "with", "ifchanged", "spaceless", "autoescape", "filter", "block", "comment", "verbatim"}
)


class NoticeError(ValueError):
    """The notice cannot be drafted, edited or sent (template error, sent already, no address)."""


@dataclass
class DomainChanges:
    domain: dict
    verdict: str = ""
    changes: list[str] = field(default_factory=list)


def successor_mx_text(campaign) -> str:
    hosts = [host for host in campaign.successor.get("mx_hosts", []) if not host.startswith("*.")]
    name = campaign.successor.get("name") or "the successor"
    return ", ".join(hosts) if hosts else f"the MX hosts of {name} (see your welcome mail)"


def domain_changes(domain, state: DomainState | None, campaign) -> DomainChanges:
    """What this customer must change in DNS for one domain, from its latest check."""
    item = DomainChanges(domain={"name": domain.name}, verdict=state.verdict if state else "")
    if state is None or state.latest_check is None:
        item.changes.append("not checked yet: we will tell you once we have looked at it")
        return item
    report = StoredReport(state.latest_check.report)
    spf = report.spf
    if report.spf_references:
        where = spf.suggested_for or domain.name
        if spf.suggested_record:
            item.changes.append(f'publish this SPF record (TXT) at {where}: "{spf.suggested_record}"')
        else:
            terms = sorted({ref.value for ref in report.spf_references})
            item.changes.append(f"remove {', '.join(terms)} from the SPF record at {where}")
    if report.has_legacy_mx:
        item.changes.append(f"set the MX records of {domain.name} to {successor_mx_text(campaign)}")
    return item


def _user_data(user) -> dict | None:
    if user is None:
        return None
    full_name = user.get_full_name()
    return {
        "name": full_name or user.username,
        "full_name": full_name,
        "username": user.username,
        "email": user.email,
    }


def notice_context(customer: Customer, campaign) -> dict:
    """The template context: plain data only (see the module docstring), never model instances."""
    domains = list(customer.domains.order_by("name"))
    states = {
        state.domain_id: state
        for state in DomainState.objects.filter(campaign=campaign, domain__in=domains).select_related(
            "latest_check"
        )
    }
    return {
        "customer": {
            "name": customer.name,
            "account_id": customer.account_id,
            "contact_name": customer.contact_name,
            "contact_email": customer.contact_email,
            "rep": _user_data(customer.rep),
        },
        "campaign": {
            "name": campaign.name,
            "slug": campaign.slug,
            "end_date": campaign.end_date,
            "cleanup_date": campaign.cleanup_date,
            "legacy": {"name": (campaign.legacy or {}).get("name", "")},
            "successor": {
                "name": (campaign.successor or {}).get("name", ""),
                "mx_hosts": list((campaign.successor or {}).get("mx_hosts", [])),
                "spf_includes": list((campaign.successor or {}).get("spf_includes", [])),
            },
        },
        "deadline": campaign.next_deadline(timezone.localdate()) or campaign.end_date,
        "domains": [vars(domain_changes(domain, states.get(domain.pk), campaign)) for domain in domains],
    }


def _nesting_depth(source: str) -> int:
    depth = deepest = 0
    for token in Lexer(source).tokenize():
        if token.token_type != TokenType.BLOCK or not token.contents:
            continue
        name = token.contents.split()[0]
        if name in _NESTING_TAGS:
            depth += 1
            deepest = max(deepest, depth)
        elif name.startswith("end") and name[3:] in _NESTING_TAGS:
            depth -= 1
    return deepest


def compile_notice_template(source: str):
    """The compiled campaign template; TemplateSyntaxError if it is not valid or nested too deeply."""
    if _nesting_depth(source) > MAX_NESTING:
        raise TemplateSyntaxError(f"tags are nested too deeply (at most {MAX_NESTING} levels)")
    try:
        return NOTICE_ENGINE.from_string(source)
    except RecursionError:
        raise TemplateSyntaxError(f"tags are nested too deeply (at most {MAX_NESTING} levels)") from None


def _bounded(text: str) -> str:
    if len(text) > MAX_OUTPUT:
        raise NoticeError(
            f"the notice would be longer than {MAX_OUTPUT // 1024} KB ({len(text) // 1024} KB): "
            "check the template's loops"
        )
    return text


def notice_render(customer: Customer, campaign, subject: str | None = None, body: str | None = None):
    """(subject, body) for `customer`: from the given sources, else the campaign's template, else the default.

    Raises NoticeError when the template cannot be compiled or rendered.
    """
    context = Context(notice_context(customer, campaign), autoescape=False)
    if subject is None or body is None:
        template = NoticeTemplate.objects.filter(campaign=campaign).first()
        if template is not None:
            subject, body = template.subject, template.body
    try:
        # Plain-text mail: no HTML escaping (DNS text is shown as it is, inside quotes).
        if subject is None or body is None:
            subject = compile_notice_template(DEFAULT_SUBJECT).render(context)
            body = get_template(DEFAULT_TEMPLATE).template.render(context)
        else:
            subject = _bounded(compile_notice_template(subject).render(context))
            body = _bounded(compile_notice_template(body).render(context))
    except (
        TemplateSyntaxError,
        TemplateDoesNotExist,
        ValueError,
        TypeError,
        LookupError,
        ArithmeticError,
        RecursionError,
    ) as error:
        raise NoticeError(f"the notice template has an error: {error}") from error
    return " ".join(subject.split())[:200], body.strip() + "\n"


def notice_draft(customer: Customer, campaign, by=None) -> CustomerNotice:
    """A draft notice (a row, editable before sending) from the campaign's template.

    One open draft per customer and campaign: a second request (a double click) gets the
    existing draft back. The customer's row lock makes two concurrent requests take turns.
    """
    subject, body = notice_render(customer, campaign)
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        existing = CustomerNotice.objects.filter(
            customer=customer, campaign=campaign, sent_at__isnull=True
        ).first()
        if existing is not None:
            return existing
        return CustomerNotice.objects.create(
            customer=customer,
            campaign=campaign,
            subject=subject,
            body=body,
            recipient=customer.contact_email,
            drafted_by=by,
        )


def notice_edit(notice: CustomerNotice, subject: str, body: str, recipient: str) -> CustomerNotice:
    """Save the rep's edits to a draft; a sent notice is read-only (NoticeError)."""
    if "\n" in subject or "\r" in subject:
        raise NoticeError("the subject must be one line")
    changes = {"subject": subject, "body": body, "recipient": recipient}
    if not CustomerNotice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(**changes):
        raise NoticeError("this notice was sent already: it can no longer be edited")
    for name, value in changes.items():
        setattr(notice, name, value)
    return notice


def notice_send(notice: CustomerNotice, by, via_email: bool = True) -> CustomerNotice:
    """Send (or record as sent by other means) exactly once; stamps the customer's notice date."""
    if via_email and not notice.recipient:
        raise NoticeError("the customer has no contact email address")
    now = timezone.now()
    with transaction.atomic():
        claimed = CustomerNotice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(
            sent_at=now,
            sent_by=by,
            channel=NoticeChannel.EMAIL if via_email else NoticeChannel.OTHER,
        )
        if not claimed:
            raise NoticeError("this notice was sent already")
        customer = Customer.objects.select_for_update().get(pk=notice.customer_id)
        customer.update({"notice_sent_at": now})
        if via_email:
            # Inside the transaction: if the mail server refuses, nothing is recorded as sent.
            EmailMessage(notice.subject, notice.body, to=[notice.recipient]).send()
    notice.refresh_from_db()
    return notice
