"""Template helpers: coloured badges from choices, role checks, dates and names as people read them.

Presentation only: no helper here queries the database (views hand pages their data).
"""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html

from customers import roles
from customers.choices import MigrationStatus
from tracker.choices import Priority, SweepStatus, TaskKind, TaskStatus, Verdict
from tracker.common.business_days import CALENDAR
from tracker.probe.domains import to_unicode
from tracker.probe.stored import StoredError
from tracker.queries.advice import SpfAdviceText, spf_advice_text
from tracker.queries.evidence import failure_text

register = template.Library()


@register.filter
def is_ops(user) -> bool:
    return roles.is_ops(user)


@register.filter
def is_rep(user) -> bool:
    return roles.is_rep(user)


@register.filter
def unicode_domain(name: str) -> str:
    """`xn--r8jz45g.jp` as people read it (例え.jp); the stored A-label when it cannot be decoded."""
    return to_unicode(name)


def choice_badge(choice, extra_class: str = "") -> str:
    """A Bootstrap badge in the choice's own colour (label escaped)."""
    return format_html(
        '<span class="badge text-bg-{} {}">{}</span>', choice.colour, extra_class, choice.label
    )


def _badge_or_dash(choices, value, prefix: str) -> str:
    if value in (None, ""):
        return format_html('<span class="text-body-secondary">{}</span>', "not checked")
    try:
        choice = choices(value)
    except ValueError:
        return format_html('<span class="badge text-bg-light">{}</span>', value)
    return choice_badge(choice, f"{prefix}-{choice.value}")


@register.simple_tag
def status_badge(status) -> str:
    """A customer's migration status as a badge; "-" for none (a customer created with a status)."""
    if not status:
        return "-"
    return choice_badge(MigrationStatus(status), f"status-{status}")


@register.simple_tag
def verdict_badge(verdict) -> str:
    return _badge_or_dash(Verdict, verdict, "verdict")


@register.simple_tag
def task_kind_badge(kind) -> str:
    return _badge_or_dash(TaskKind, kind, "task-kind")


@register.simple_tag
def task_status_badge(status) -> str:
    return _badge_or_dash(TaskStatus, status, "task-status")


@register.simple_tag
def priority_badge(priority) -> str:
    return _badge_or_dash(Priority, priority, "priority")


@register.simple_tag
def sweep_status_badge(status) -> str:
    return _badge_or_dash(SweepStatus, status, "sweep-status")


@register.filter
def business_days_left(day) -> int | None:
    """Business days (Japanese calendar) from today to `day`; negative once passed, 0 on the day."""
    if not day:
        return None
    return CALENDAR.between(timezone.localdate(), day)


@register.filter
def days_until(day) -> int | None:
    """Days from today (in the configured time zone) to `day`; negative once passed."""
    if not day:
        return None
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date()
    return (day - timezone.localdate()).days


@register.filter
def yes_no_unknown(value, yes_is_bad: bool = False) -> str:
    """A yes/no/unknown badge; `yes_is_bad` colours yes red (e.g. breaks on removal)."""
    if value is None:
        return format_html('<span class="badge text-bg-secondary">{}</span>', "unknown")
    good = bool(value) != bool(yes_is_bad)
    return format_html(
        '<span class="badge text-bg-{}">{}</span>', "success" if good else "danger", "yes" if value else "no"
    )


@register.filter
def duration_text(value) -> str:
    """A timedelta as '1 h 02 min', '3 min 05 s' or '12 s'."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


@register.simple_tag
def table_row_html(table, record) -> str:
    """A table's own fast row rendering (see DomainStateTable.row_html)."""
    return table.row_html(record)


@register.simple_tag
def task_spf_advice(task) -> SpfAdviceText | None:
    """What a legacy-SPF task tells the rep to pass on: the verified record, or why none and what to decide.

    Read from the task's stored evidence (tracker.services.followups.rule_legacy_spf); None for other tasks.
    """
    evidence = task.evidence or {}
    if "terms" not in evidence:
        return None
    advice = evidence.get("advice") or {}
    records = advice.get("records") or []
    if not records and advice.get("status") == "verified" and evidence.get("suggested_record"):
        records = [{"domain": evidence.get("suggested_for") or "", "record": evidence["suggested_record"]}]
    failed = evidence.get("failed_lookup")
    terms = evidence.get("terms") or [{}]
    return spf_advice_text(
        status=advice.get("status") or "unknown",
        reasons=advice.get("reasons") or (),
        message=advice.get("message") or "",
        records=records,
        where=evidence.get("suggested_for") or terms[0].get("record_domain") or "",
        successor=task.campaign.successor or {},
        failure=failure_text(StoredError(**failed), "SPF") if failed else None,
    )
