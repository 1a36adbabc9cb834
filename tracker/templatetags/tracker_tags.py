"""Template helpers for tracker pages: coloured badges from choices, so they look the same everywhere."""

import datetime as dt

from django import template
from django.db import models
from django.utils import timezone
from django.utils.html import format_html

from tracker.choices import Priority, SweepStatus, TaskKind, TaskStatus, Verdict

register = template.Library()


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
def customer_domain_states(customer, campaign=None) -> list[dict]:
    """The customer's domains, each with its state in `campaign` (default: the active one); two queries."""
    from tracker.dashboards import active_campaign
    from tracker.models import DomainState

    campaign = campaign or active_campaign()
    domains = list(customer.domains.all())
    states = {}
    if campaign is not None:
        states = {
            s.domain_id: s
            for s in DomainState.objects.filter(campaign=campaign, domain__in=[d.pk for d in domains])
        }
    return [{"domain": d, "state": states.get(d.pk), "campaign": campaign} for d in domains]


@register.simple_tag
def next_task_for(customer):
    """The customer's most urgent open rep task (overdue or soonest due first), or None."""
    from tracker.choices import TaskStatus
    from tracker.models import FollowUpTask

    return (
        FollowUpTask.objects.filter(customer=customer, status=TaskStatus.OPEN, for_ops=False)
        .select_related("domain", "customer")
        .order_by(models.F("due_date").asc(nulls_last=True), "-priority", "pk")
        .first()
    )


@register.simple_tag
def table_row_html(table, record) -> str:
    """A table's own fast row rendering (see DomainStateTable.row_html)."""
    return table.row_html(record)
