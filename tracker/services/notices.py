"""Customer notices: a draft stating the exact DNS change per domain, then sent and recorded.

`notice_draft(customer, campaign, by=None, language=None)` renders the campaign's
editable `NoticeTemplate` in that language (Japanese by default: LANGUAGE_CODE), or
the default for the language (templates/tracker/email/notice_default[_ja].txt)
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

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.models import Customer
from tracker.choices import NoticeChannel, Verdict
from tracker.models import CustomerNotice, DomainState, NoticeTemplate
from tracker.probe.report import MX_REFERENCE_KINDS, SPF_REFERENCE_KINDS
from tracker.probe.stored import StoredReport
from tracker.queries.advice import spf_advice_text, successor_include
from tracker.queries.evidence import first_unknown_reason, spf_unknown_reason

DEFAULT_SUBJECT = "Action needed: DNS changes for your mail before {{ deadline|date:'j F Y' }}"
DEFAULT_TEMPLATE = "tracker/email/notice_default.txt"
# Formal business Japanese (です/ます, 御中/様), the deadline as 2027年3月31日.
DEFAULT_SUBJECTS = {
    "en": DEFAULT_SUBJECT,
    "ja": "【重要】{{ deadline|date:'Y年n月j日' }}までにメールの DNS 設定変更をお願いします",
}
DEFAULT_TEMPLATES = {"en": DEFAULT_TEMPLATE, "ja": "tracker/email/notice_default_ja.txt"}


def notice_language(language: str | None = None) -> str:
    """The notice's language: the one asked for if we have it, else the deployment's (Japanese)."""
    return (
        language
        if language in DEFAULT_TEMPLATES
        else (settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in DEFAULT_TEMPLATES else "ja")
    )


def default_sources(language: str) -> dict:
    """The default notice's subject and body sources in `language` (what ops start editing from)."""
    return {
        "subject": DEFAULT_SUBJECTS[language],
        "body": get_template(DEFAULT_TEMPLATES[language]).template.source,
    }


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


class NoticeNeedsConfirmation(NoticeError):
    """The notice's deadline has passed: the sender must confirm (`confirm_past_deadline=True`)."""


@dataclass
class DomainChanges:
    domain: dict
    verdict: str = ""
    changes: list[str] = field(default_factory=list)


def successor_mx_text(campaign) -> str:
    """The successor's MX hosts by name, from the campaign; a pattern `*.x` only says "under x"."""
    patterns = campaign.successor.get("mx_hosts", [])
    hosts = [host for host in patterns if not host.startswith("*.")]
    if hosts:
        return ", ".join(hosts)
    suffixes = [pattern[2:] for pattern in patterns if pattern.startswith("*.")]
    name = campaign.successor.get("name") or _("the new service")
    if suffixes:
        return _(
            "the MX hosts of %(name)s under %(suffixes)s (your account manager has their exact names)"
        ) % {
            "name": name,
            "suffixes": ", ".join(suffixes),
        }
    return _("the MX hosts of %(name)s (your account manager has their names)") % {"name": name}


def _spf_changes(report: StoredReport, domain_name: str, campaign) -> list[str]:
    spf = report.spf
    predates_advice = (
        spf.advice.status == "unknown"
        and not spf.advice.reasons
        and "advice" not in (report.data.get("spf") or {})
    )
    if not report.spf_references and (
        spf.advice.status in ("not_needed", "verified")
        or (predates_advice and report.complete and spf_unknown_reason(report) is None)
    ):
        return []
    where = spf.suggested_for or domain_name
    advice = spf_advice_text(
        status=spf.advice.status,
        reasons=spf.advice.reasons,
        message=spf.advice.message,
        records=spf.advice.records
        or ([{"domain": where, "record": spf.suggested_record}] if spf.suggested_record else []),
        where=where,
        successor=campaign.successor or {},
        failure=spf_unknown_reason(report),
    )
    if advice.verified:
        return [
            _('publish this SPF record (TXT) at %(where)s: "%(record)s"')
            % {"where": record_where, "record": record}
            for record_where, record in advice.records
        ]
    if advice.needs_change:
        return [advice.text]
    # Nothing to publish, but a legacy term sits where only its owner can remove it.
    terms = sorted({ref.value for ref in report.spf_references})
    return [
        _("ask the owner of the SPF record at %(where)s to remove %(terms)s")
        % {
            "where": ", ".join(sorted({ref.holder or domain_name for ref in report.spf_references})),
            "terms": ", ".join(terms),
        }
    ]


def domain_changes(domain, state: DomainState | None, campaign) -> DomainChanges:
    """What this customer must change in DNS for one domain, from its latest check.

    Never "nothing to change" unless every lookup answered: an unknown names the failed lookup.
    """
    item = DomainChanges(domain={"name": domain.name}, verdict=state.verdict if state else "")
    if state is None or state.latest_check is None:
        item.changes.append(_("not checked yet: we will tell you once we have looked at it"))
        return item
    report = StoredReport(state.latest_check.report)
    if report.verdict == Verdict.UNREGISTERED:
        item.changes.append(
            _("this domain does not exist in DNS (NXDOMAIN): please tell us whether you still use it")
        )
        return item
    item.changes.extend(_spf_changes(report, domain.name, campaign))
    if report.has_legacy_mx:
        item.changes.append(
            _("set the MX records of %(domain)s to %(hosts)s")
            % {"domain": domain.name, "hosts": successor_mx_text(campaign)}
        )
    shown = set(MX_REFERENCE_KINDS) | set(SPF_REFERENCE_KINDS)
    for ref in report.references:
        if ref.kind not in shown:
            item.changes.append(
                _("remove the reference to the old service in %(where)s (%(kind)s: %(value)s)")
                % {"where": ref.holder or domain.name, "kind": ref.kind, "value": ref.value}
            )
    if not item.changes and (report.verdict == Verdict.INCONCLUSIVE or not report.complete):
        reason = first_unknown_reason(report) or _("the check did not finish")
        item.changes.append(
            _("we could not check this domain completely yet (%(reason)s): we check again and tell you")
            % {"reason": reason}
        )
    return item


def notice_deadline(campaign, today: dt.date | None = None) -> dt.date | None:
    """The date the notice asks the customer to act by: the next campaign date, else the end date."""
    return campaign.next_deadline(today or timezone.localdate()) or campaign.end_date


def notice_deadline_passed(campaign, today: dt.date | None = None) -> bool:
    """Every date of the campaign is behind us: a notice would carry a deadline in the past."""
    deadline = notice_deadline(campaign, today)
    return deadline is not None and deadline < (today or timezone.localdate())


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
                # The hosts a customer can type into DNS (no `*.suffix` patterns).
                "named_mx_hosts": [
                    host
                    for host in (campaign.successor or {}).get("mx_hosts", [])
                    if not host.startswith("*.")
                ],
                "mx_text": successor_mx_text(campaign),
                "spf_include": successor_include(campaign.successor or {}),
            },
        },
        "deadline": notice_deadline(campaign),
        "deadline_passed": notice_deadline_passed(campaign),
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


def notice_render(
    customer: Customer,
    campaign,
    subject: str | None = None,
    body: str | None = None,
    language: str | None = None,
):
    """(subject, body) for `customer` in `language`: from the given sources, else the campaign's
    template in that language, else the default one.

    Raises NoticeError when the template cannot be compiled or rendered.
    """
    language = notice_language(language)
    with translation.override(language):
        context = Context(notice_context(customer, campaign), autoescape=False)
        if subject is None or body is None:
            template = NoticeTemplate.objects.filter(campaign=campaign, language=language).first()
            if template is not None:
                subject, body = template.subject, template.body
        try:
            # Plain-text mail: no HTML escaping (DNS text is shown as it is, inside quotes).
            if subject is None or body is None:
                subject = compile_notice_template(DEFAULT_SUBJECTS[language]).render(context)
                body = get_template(DEFAULT_TEMPLATES[language]).template.render(context)
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
            raise NoticeError(_("the notice template has an error: %(error)s") % {"error": error}) from error
    return " ".join(subject.split())[:200], body.strip() + "\n"


def notice_draft(customer: Customer, campaign, by=None, language: str | None = None) -> CustomerNotice:
    """A draft notice (a row, editable before sending) from the campaign's template in `language`.

    A second request for the same text (a double click) gets the unsent draft it made back; another
    language is another draft. The customer's row lock makes two concurrent requests take turns.
    """
    subject, body = notice_render(customer, campaign, language=language)
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        existing = CustomerNotice.objects.filter(
            customer=customer, campaign=campaign, sent_at__isnull=True, subject=subject, body=body
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


def notice_reply_to(notice: CustomerNotice, by) -> list[str]:
    """Replies go to the customer's rep (the notice says "reply to this mail"), else to the sender."""
    rep = notice.customer.rep
    address = (rep.email if rep is not None else "") or (by.email if by is not None else "")
    return [address] if address else []


def notice_send(
    notice: CustomerNotice, by, via_email: bool = True, *, confirm_past_deadline: bool = False
) -> CustomerNotice:
    """Send (or record as sent by other means) exactly once; stamps the customer's notice date.

    A notice whose deadline has passed is sent only with `confirm_past_deadline`
    (NoticeNeedsConfirmation otherwise): the rep first sees that the text names a past date.
    """
    if via_email and not notice.recipient:
        raise NoticeError("the customer has no contact email address")
    if notice_deadline_passed(notice.campaign) and not confirm_past_deadline:
        raise NoticeNeedsConfirmation(
            _("the deadline of this campaign (%(date)s) has passed: check the dates in the text, then send")
            % {"date": notice_deadline(notice.campaign)}
        )
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
            EmailMessage(
                notice.subject,
                notice.body,
                from_email=settings.NOTICE_FROM_EMAIL,
                to=[notice.recipient],
                reply_to=notice_reply_to(notice, by),
            ).send()
    notice.refresh_from_db()
    return notice
