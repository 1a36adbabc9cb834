"""Mails on a schedule: a daily digest to each rep, a daily summary to operations.

Both are plain-text mails through Django's email framework, rendered from
templates/tracker/email/ in the recipient's language and time zone (their
UserProfile). Beat fires the rep digest every 30 minutes; each rep gets it once a
day, once their own clock has passed DIGEST_LOCAL_TIME (08:30 in Tokyo for a rep
in Tokyo, 08:30 in London for one there). The functions take `today`/`now` so
tests and a catch-up run can pick the moment.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _

from customers.models import Domain, UserProfile
from customers.roles import OPS_GROUP
from tracker.choices import Priority, TaskKind, TaskStatus, Verdict
from tracker.models import Campaign, DomainState, FollowUpTask, Sweep

BREAKING_LISTED = 50
# Reps read their digest at the start of their working day, in their own zone.
DIGEST_LOCAL_TIME = dt.time(8, 30)
logger = logging.getLogger(__name__)


def _url(name: str) -> str:
    try:
        path = reverse(name)
    except NoReverseMatch:
        path = "/"
    return settings.SITE_URL + path


@dataclass
class DigestLine:
    task: FollowUpTask
    overdue: bool

    def __getattr__(self, name):
        return getattr(self.task, name)

    @property
    def priority_label(self) -> str:
        return Priority(self.task.priority).label

    @property
    def kind_label(self) -> str:
        return TaskKind(self.task.kind).label


def _digest_tasks(user, today: dt.date):
    """Actionable tasks assigned to `user`, rep tasks only of customers that are `user`'s now.

    A task assigned before its customer moved to another rep is not the old rep's to read about
    (tracker.services.reassignment moves them; this holds even for one it missed).
    """
    return (
        FollowUpTask.objects.actionable(today).for_user(user).filter(Q(for_ops=True) | Q(customer__rep=user))
    )


def rep_digest_lines(user, today: dt.date) -> list[DigestLine]:
    """The rep's actionable tasks: overdue first, then by priority (highest first), then due date."""
    tasks = _digest_tasks(user, today).select_related("customer", "domain")
    lines = [DigestLine(task, task.due_date is not None and task.due_date < today) for task in tasks]
    lines.sort(key=lambda line: (not line.overdue, -line.task.priority, line.task.due_date or dt.date.max))
    return lines


def rep_digest(user, today: dt.date | None = None, profile: UserProfile | None = None) -> EmailMessage | None:
    """The day's mail for one rep, in their language and zone; None when there is nothing to do or nowhere to send it."""
    profile = profile or UserProfile.objects.for_user(user)
    with translation.override(profile.mail_language), timezone.override(profile.zone):
        today = today or timezone.localdate()
        lines = rep_digest_lines(user, today)
        if not lines or not user.email:
            return None
        overdue = sum(line.overdue for line in lines)
        body = render_to_string(
            "tracker/email/rep_digest.txt",
            {"user": user, "tasks": lines, "overdue_count": overdue, "tasks_url": _url("tracker:task_list")},
        )
        subject = ngettext(
            "Your follow-up tasks: %(count)d open", "Your follow-up tasks: %(count)d open", len(lines)
        ) % {"count": len(lines)}
        if overdue:
            subject += _(", %(overdue)d overdue") % {"overdue": overdue}
        return EmailMessage(subject, body, to=[user.email])


def _digest_candidates(today: dt.date):
    """Active users with an actionable task on `today` (a day or so either way: zones differ)."""
    assignees = (
        FollowUpTask.objects.actionable(today)
        .exclude(assignee=None)
        .filter(Q(for_ops=True) | Q(customer__rep=F("assignee")))
        .values_list("assignee", flat=True)
        .distinct()
    )
    return get_user_model().objects.filter(pk__in=assignees, is_active=True).order_by("pk")


def _claim_digest_day(profile: UserProfile, day: dt.date) -> bool:
    """Record `day` as the rep's digest day; False if another run already sent it (conditional UPDATE)."""
    if profile.pk is None:
        profile.save()
    claimed = (
        UserProfile.objects.filter(pk=profile.pk)
        .filter(Q(digest_sent_on__isnull=True) | Q(digest_sent_on__lt=day))
        .update(digest_sent_on=day)
    )
    profile.digest_sent_on = day
    return claimed == 1


def send_rep_digests(today: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """The digests due now; returns the number of mails sent.

    With `today` (a catch-up run, `manage.py send_digests`): every rep with open
    tasks gets that day's digest now, whatever their clock says. Without it (beat):
    each rep whose local time has passed DIGEST_LOCAL_TIME and who has not had
    today's digest yet. The day is recorded before the mail goes out, so two runs
    never send twice (a failed send is not retried that day).
    """
    now = now or timezone.now()
    messages = []
    for user in _digest_candidates(today or timezone.localdate(now)):
        profile = UserProfile.objects.for_user(user)
        local = now.astimezone(profile.zone)
        day = today or local.date()
        if today is None and local.time() < DIGEST_LOCAL_TIME:
            continue
        if today is None and profile.digest_sent_on is not None and profile.digest_sent_on >= day:
            continue
        message = rep_digest(user, day, profile)
        if message is not None and _claim_digest_day(profile, day):
            messages.append(message)
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


def reassignment_mail(rep, customers, by=None, tasks: int | None = None) -> EmailMessage | None:
    """Tells `rep` which customers (and how many open tasks) are theirs now; None without an address."""
    if not rep.email or not customers:
        return None
    if tasks is None:
        tasks = FollowUpTask.objects.active().filter(customer__in=customers, assignee=rep).count()
    body = render_to_string(
        "tracker/email/reassignment.txt",
        {
            "user": rep,
            "customers": [
                {"customer": c, "url": settings.SITE_URL + reverse("tracker:customer_detail", args=[c.pk])}
                for c in customers
            ],
            "tasks": tasks,
            "by": by,
            "tasks_url": _url("tracker:task_list"),
        },
    )
    if len(customers) == 1:
        subject = gettext("A customer is yours now: %(name)s") % {"name": customers[0].name}
    else:
        subject = gettext("%(count)d customers are yours now") % {"count": len(customers)}
    return EmailMessage(subject, body, to=[rep.email])


def send_mail_quietly(message: EmailMessage | None) -> bool:
    """Send a courtesy mail after the change committed; a mail server's failure is logged, not raised."""
    if message is None:
        return False
    try:
        return bool(message.send())
    except Exception:  # noqa: BLE001  the change is saved; the mail is a courtesy
        logger.exception("could not send %r to %s", message.subject, message.to)
        return False


def ops_summary_context(today: dt.date, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    since = now - dt.timedelta(days=1)
    items = []
    for campaign in Campaign.objects.filter(active=True):
        states = DomainState.objects.filter(campaign=campaign).select_related("domain__customer")
        changed = states.filter(conclusive_changed_at__gte=since)
        breaking = states.filter(breaks_on_legacy_removal=True).order_by("domain__name")
        items.append(
            {
                "campaign": campaign,
                "legacy_count": states.filter(verdict=Verdict.LEGACY).count(),
                "inconclusive_count": states.filter(verdict=Verdict.INCONCLUSIVE).count(),
                "never_checked_count": Domain.objects.exclude(states__campaign=campaign).count(),
                "new_legacy": list(changed.filter(last_conclusive_verdict=Verdict.LEGACY)),
                "fixed": list(
                    changed.filter(previous_conclusive_verdict=Verdict.LEGACY).exclude(
                        last_conclusive_verdict=Verdict.LEGACY
                    )
                ),
                "breaking": list(breaking[:BREAKING_LISTED]),
                "breaking_count": breaking.count(),
                "alerts": list(
                    Sweep.objects.filter(campaign=campaign, created_at__gte=since).exclude(alert="")
                ),
                "ops_tasks": FollowUpTask.objects.filter(
                    Q(campaign=campaign), Q(for_ops=True), Q(status=TaskStatus.OPEN)
                ).count(),
            }
        )
    return {"today": today, "campaigns": items}


def _ops_recipients() -> dict[tuple[str, str], list[str]]:
    """Operations' addresses grouped by (language, zone): one summary per group, each in its own words."""
    users = (
        get_user_model()
        .objects.filter(Q(groups__name=OPS_GROUP) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .distinct()
    )
    profiles = {profile.user_id: profile for profile in UserProfile.objects.filter(user__in=users)}
    groups: dict[tuple[str, str], set[str]] = {}
    for user in users:
        profile = profiles.get(user.pk) or UserProfile(user=user)
        groups.setdefault((profile.mail_language, profile.zone.key), set()).add(user.email)
    return {key: sorted(emails) for key, emails in sorted(groups.items())}


def ops_summaries(today: dt.date | None = None, now: dt.datetime | None = None) -> list[EmailMessage]:
    """The day's summary for operations, one mail per language and zone of its readers."""
    messages = []
    for (language, zone), recipients in _ops_recipients().items():
        with translation.override(language), timezone.override(zone):
            day = today or timezone.localdate(now)
            context = ops_summary_context(day, now)
            if not context["campaigns"]:
                return []
            body = render_to_string("tracker/email/ops_summary.txt", context)
            breaking = sum(item["breaking_count"] for item in context["campaigns"])
            new = sum(len(item["new_legacy"]) for item in context["campaigns"])
            fixed = sum(len(item["fixed"]) for item in context["campaigns"])
            subject = _(
                "Retirement summary %(day)s: %(new)d new legacy, %(fixed)d fixed, %(breaking)d would break"
            ) % {"day": f"{day:%Y-%m-%d}", "new": new, "fixed": fixed, "breaking": breaking}
            messages.append(EmailMessage(subject, body, to=recipients))
    return messages


def ops_summary(today: dt.date | None = None, now: dt.datetime | None = None) -> EmailMessage | None:
    """The summary for the first group of readers (the only one where operations share a language)."""
    messages = ops_summaries(today, now)
    return messages[0] if messages else None


def send_ops_summary(today: dt.date | None = None) -> int:
    messages = ops_summaries(today)
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0
