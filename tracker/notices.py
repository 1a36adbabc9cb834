"""Customer notices: a draft stating the exact DNS change per domain, then sent and recorded.

`notice_draft(customer, campaign, by=None)` renders the campaign's editable
`NoticeTemplate` (or the default, templates/tracker/email/notice_default.txt)
with each domain's changes from its latest check: the SPF record to publish
(and where), the MX hosts to set, the deadline. The draft is a row; the rep
may edit subject and body before `notice_send(notice, by, via_email=True)`,
which mails it (or records that it went by other means) exactly once and
stamps the customer's `notice_sent_at`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.mail import EmailMessage
from django.db import transaction
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import timezone

from customers.models import Customer
from tracker.choices import NoticeChannel
from tracker.followup import next_deadline
from tracker.models import CustomerNotice, DomainState, NoticeTemplate

DEFAULT_SUBJECT = "Action needed: DNS changes for your mail before {{ deadline|date:'j F Y' }}"
DEFAULT_TEMPLATE = "tracker/email/notice_default.txt"


class NoticeError(ValueError):
    """The notice cannot be sent (already sent, or no address to send it to)."""


@dataclass
class DomainChanges:
    domain: object
    verdict: str = ""
    changes: list[str] = field(default_factory=list)


def successor_mx_text(campaign) -> str:
    hosts = [host for host in campaign.successor.get("mx_hosts", []) if not host.startswith("*.")]
    name = campaign.successor.get("name") or "the successor"
    return ", ".join(hosts) if hosts else f"the MX hosts of {name} (see your welcome mail)"


def domain_changes(domain, state: DomainState | None, campaign) -> DomainChanges:
    """What this customer must change in DNS for one domain, from its latest check."""
    item = DomainChanges(domain=domain, verdict=state.verdict if state else "")
    report = state.latest_check.report if state and state.latest_check else None
    if report is None:
        item.changes.append("not checked yet: we will tell you once we have looked at it")
        return item
    kinds = {ref["kind"] for ref in report.get("legacy_references") or []}
    spf = report.get("spf") or {}
    if kinds & {"spf-include", "spf-redirect", "spf-ip"}:
        where = spf.get("suggested_for") or domain.name
        if spf.get("suggested_record"):
            item.changes.append(f'publish this SPF record (TXT) at {where}: "{spf["suggested_record"]}"')
        else:
            terms = sorted(
                {ref["value"] for ref in report["legacy_references"] if ref["kind"].startswith("spf")}
            )
            item.changes.append(f"remove {', '.join(terms)} from the SPF record at {where}")
    if kinds & {"mx", "mx-address"}:
        item.changes.append(f"set the MX records of {domain.name} to {successor_mx_text(campaign)}")
    return item


def notice_context(customer: Customer, campaign) -> dict:
    domains = list(customer.domains.order_by("name"))
    states = {
        state.domain_id: state
        for state in DomainState.objects.filter(campaign=campaign, domain__in=domains).select_related(
            "latest_check"
        )
    }
    return {
        "customer": customer,
        "campaign": campaign,
        "deadline": next_deadline(campaign, timezone.localdate()) or campaign.end_date,
        "domains": [domain_changes(domain, states.get(domain.pk), campaign) for domain in domains],
    }


def notice_draft(customer: Customer, campaign, by=None) -> CustomerNotice:
    """A draft notice (a row, editable before sending) from the campaign's template."""
    context = notice_context(customer, campaign)
    template = NoticeTemplate.objects.filter(campaign=campaign).first()
    # Plain-text mail: no HTML escaping (DNS text is shown as it is, inside quotes).
    if template is not None:
        subject = Template(template.subject).render(Context(context, autoescape=False))
        body = Template(template.body).render(Context(context, autoescape=False))
    else:
        subject = Template(DEFAULT_SUBJECT).render(Context(context, autoescape=False))
        body = get_template(DEFAULT_TEMPLATE).template.render(Context(context, autoescape=False))
    return CustomerNotice.objects.create(
        customer=customer,
        campaign=campaign,
        subject=" ".join(subject.split())[:200],
        body=body.strip() + "\n",
        recipient=customer.contact_email,
        drafted_by=by,
    )


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
