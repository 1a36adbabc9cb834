"""Alerts to operations: raised by sweeps and a daily check, delivered per channel by a Celery job.

`alert_raise` writes one `AlertDelivery` per interested channel and queues
`tracker.deliver_alert` for each once the transaction commits; `delivery_send`
sends one (the job retries it with back-off and the log keeps every outcome).
Raising never raises: an alert problem is logged, and the sweep that raised it
goes on.

Channels: Slack, Teams and LINE through Apprise (its URLs: a Slack or Teams
incoming-webhook URL as it is, `line://TOKEN/USER`); e-mail through Django's mail
settings; the generic webhook is our own: a JSON POST whose body is signed with
HMAC-SHA256 of the channel's secret in `X-Tracker-Signature: sha256=<hex>`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.choices import AlertChannelKind, AlertEvent, DeliveryStatus, SweepKind, SweepStatus
from tracker.models import AlertChannel, AlertDelivery, Campaign, Sweep
from tracker.queries.alert_facts import (
    customers_still_legacy,
    legacy_unchanged_since,
    milestones,
    sweep_changes,
)
from tracker.services.enqueue import enqueue_after_commit

log = logging.getLogger(__name__)

DELIVER_TASK = "tracker.deliver_alert"
SIGNATURE_HEADER = "X-Tracker-Signature"
WEBHOOK_TIMEOUT_S = 10
# Days before a milestone on which the "milestone near" alert goes out.
MILESTONE_WARNING_DAYS = (14, 7, 3, 1)
MILESTONE_NAMES = {
    "internal_announcement": gettext_lazy("internal announcement"),
    "customer_announcement": gettext_lazy("customer announcement"),
    "end_date": gettext_lazy("end of the legacy service"),
    "cleanup_date": gettext_lazy("cleanup of the legacy SPF record"),
}


class DeliveryFailed(Exception):
    """The channel did not take the alert; the message says why (kept in the delivery log)."""


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: what a receiver recomputes with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def channel_target_problem(kind: str, target: str) -> str | None:
    """Why `target` cannot work for a channel of `kind` (None when it can): checked before saving."""
    if kind == AlertChannelKind.EMAIL:
        try:
            validate_email(target)
        except ValidationError:
            return _("Enter an e-mail address.")
        return None
    if kind == AlertChannelKind.WEBHOOK:
        return None if target.startswith(("https://", "http://")) else _("Enter an http(s):// URL.")
    import apprise  # lazy: a large import, only where chat channels are edited or sent

    if not apprise.Apprise().add(target):
        return _("Apprise does not recognise this URL (a Slack or Teams webhook URL, or line://TOKEN/USER).")
    return None


# -- raising -------------------------------------------------------------------------------------


def alert_raise(
    event: str, title: str, body: str, payload: dict | None = None, only: AlertChannel | None = None
) -> list[AlertDelivery]:
    """Queue the alert for every active channel that wants `event` (or `only` that one); never raises."""
    try:
        with transaction.atomic():
            channels = (
                [only]
                if only is not None
                else [channel for channel in AlertChannel.objects.filter(active=True) if channel.wants(event)]
            )
            deliveries = [
                AlertDelivery.objects.create(
                    channel=channel,
                    event=event,
                    title=title[:200],
                    body=body,
                    payload={"event": event, "title": title, "text": body, **(payload or {})},
                )
                for channel in channels
            ]
            enqueue_after_commit(DELIVER_TASK, [[delivery.pk] for delivery in deliveries])
        return deliveries
    except Exception:  # an alert must never break what raised it
        log.exception("could not queue the %s alert", event)
        return []


def alerts_sweep_finished(sweep: Sweep) -> list[AlertDelivery]:
    """A full or re-check sweep ended: its change summary, or why it failed."""
    if sweep.kind == SweepKind.SINGLE:
        return []  # "re-check now" of one domain: the person who asked is watching
    try:
        campaign = sweep.campaign
        facts = {
            "campaign": campaign.slug,
            "sweep": sweep.pk,
            "status": sweep.status,
            "checked": sweep.done,
            "total": sweep.total,
            "legacy": sweep.legacy_count,
            "timeouts": sweep.timeout_count,
        }
        if sweep.status in (SweepStatus.FAILED, SweepStatus.PARTIAL) or sweep.alert:
            reason = (
                sweep.alert
                or sweep.error
                or _("%(failed)s of %(chunks)s chunks failed")
                % {
                    "failed": sweep.chunks_failed,
                    "chunks": sweep.chunk_count,
                }
            )
            title = _("Sweep of %(campaign)s: %(status)s") % {
                "campaign": campaign.name,
                "status": sweep.get_status_display(),
            }
            text = _("%(checked)s of %(total)s domains checked. %(reason)s") % {
                "checked": sweep.done,
                "total": sweep.total,
                "reason": reason,
            }
            return alert_raise(AlertEvent.SWEEP_FAILED, title, text, facts | {"reason": reason})
        changes = sweep_changes(sweep)
        title = _("Sweep of %(campaign)s finished") % {"campaign": campaign.name}
        text = _(
            "Since the last sweep: %(fixed)s fixed, %(regressed)s regressed, %(newly_breaking)s newly breaking. "
            "%(legacy)s of %(checked)s domains still legacy."
        ) % (changes.as_dict() | {"legacy": sweep.legacy_count, "checked": sweep.done})
        return alert_raise(AlertEvent.SWEEP_FINISHED, title, text, facts | {"changes": changes.as_dict()})
    except Exception:
        log.exception("could not build the alert of sweep %s", sweep.pk)
        return []


def alerts_daily(today: dt.date | None = None, stalled_days: int | None = None) -> int:
    """Beat's daily check: milestones near with customers still legacy, a legacy count that stopped moving."""
    today = today or timezone.localdate()
    stalled_days = stalled_days or settings.ALERT_STALLED_DAYS
    raised = 0
    for campaign in Campaign.objects.filter(active=True):
        raised += _milestone_alerts(campaign, today)
        raised += _stalled_alert(campaign, today, stalled_days)
    return raised


def _milestone_alerts(campaign: Campaign, today: dt.date) -> int:
    raised = 0
    for key, day in milestones(campaign):
        name = str(MILESTONE_NAMES[key])
        days = (day - today).days
        if days not in MILESTONE_WARNING_DAYS:
            continue
        legacy = customers_still_legacy(campaign)
        if not legacy:
            continue
        title = _("%(campaign)s: %(milestone)s in %(days)s days") % {
            "campaign": campaign.name,
            "milestone": name,
            "days": days,
        }
        text = _("%(milestone)s on %(day)s: %(customers)s customers still have legacy references.") % {
            "milestone": name,
            "day": day.isoformat(),
            "customers": legacy,
        }
        facts = {
            "campaign": campaign.slug,
            "milestone": key,
            "date": day.isoformat(),
            "customers_legacy": legacy,
        }
        raised += bool(alert_raise(AlertEvent.MILESTONE_NEAR, title, text, facts))
    return raised


def _stalled_alert(campaign: Campaign, today: dt.date, stalled_days: int) -> int:
    """Once every `stalled_days` while the count of legacy domains has not moved (and is not zero)."""
    current, moved_on = legacy_unchanged_since(campaign, today)
    if not current or moved_on is None:
        return 0
    idle = (today - moved_on).days
    if idle < stalled_days or idle % stalled_days:
        return 0
    title = _("%(campaign)s: legacy count unchanged for %(days)s days") % {
        "campaign": campaign.name,
        "days": idle,
    }
    text = _("%(count)s domains are still legacy; the count last moved on %(day)s.") % {
        "count": current,
        "day": moved_on.isoformat(),
    }
    facts = {"campaign": campaign.slug, "legacy_domains": current, "last_moved": moved_on.isoformat()}
    return bool(alert_raise(AlertEvent.LEGACY_STALLED, title, text, facts))


# -- delivering ----------------------------------------------------------------------------------


def delivery_send(delivery_id: int, final: bool = True) -> AlertDelivery:
    """Send one delivery; DeliveryFailed (after logging the attempt) if the channel refused it.

    `final`: no retry follows, so a failure is marked failed rather than retrying.
    """
    delivery = AlertDelivery.objects.select_related("channel").get(pk=delivery_id)
    if delivery.status == DeliveryStatus.SENT:
        return delivery  # a redelivered job message
    attempts = delivery.attempts + 1
    try:
        _send(delivery)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        AlertDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts,
            last_error=error,
            status=DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING,
        )
        raise DeliveryFailed(error) from exc
    AlertDelivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts, status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    delivery.refresh_from_db()
    return delivery


def _send(delivery: AlertDelivery) -> None:
    channel = delivery.channel
    if channel.kind == AlertChannelKind.WEBHOOK:
        _send_webhook(channel, delivery)
    elif channel.kind == AlertChannelKind.EMAIL:
        send_mail(delivery.title, delivery.body, settings.DEFAULT_FROM_EMAIL, [channel.target])
    else:
        _send_apprise(channel, delivery)


def _send_webhook(channel: AlertChannel, delivery: AlertDelivery) -> None:
    body = json.dumps(delivery.payload, sort_keys=True, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Tracker-Event": delivery.event}
    if channel.secret:
        headers[SIGNATURE_HEADER] = sign(channel.secret, body)
    request = urllib.request.Request(channel.target, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"HTTP {exc.code} from the webhook") from None


def _send_apprise(channel: AlertChannel, delivery: AlertDelivery) -> None:
    import apprise  # a large import, only for the workers that send chat alerts

    notifier = apprise.Apprise()
    if not notifier.add(channel.target):
        raise DeliveryFailed("Apprise does not understand the channel's URL")
    if not notifier.notify(title=delivery.title, body=delivery.body):
        raise DeliveryFailed("the chat service did not accept the alert (see the worker's log)")
