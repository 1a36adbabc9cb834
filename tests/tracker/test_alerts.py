"""Alerts end to end: a real Celery worker delivers to a real HTTP receiver on loopback started here.

The receiver checks the HMAC-SHA256 signature as a customer's endpoint would; one
that answers 500 gets the retries and a failed entry in the delivery log, while
the sweep that raised the alert completes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from tests import conftest_celery
from tests.conftest_celery import clean_zone, legacy_spf_zone, serve, wait_for
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.reports import legacy_report, store
from tracker.choices import AlertChannelKind, AlertEvent, DeliveryStatus, SweepStatus
from tracker.models import AlertChannel, AlertDelivery, Sweep
from tracker.services.alerts import SIGNATURE_HEADER, alerts_daily
from tracker.services.sweeps import sweep_run_sync, sweep_start

celery_app = conftest_celery.celery_app
celery_worker = conftest_celery.celery_worker
redis_url = conftest_celery.redis_url
sweep_dns = conftest_celery.sweep_dns
dead_nameserver = conftest_celery.dead_nameserver

SECRET = "s3cret-shared-with-the-receiver"


class Receiver:
    """An HTTP server on loopback that records every POST and answers `status`."""

    def __init__(self, status: int = 204):
        self.status = status
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                receiver.requests.append(
                    {
                        "headers": dict(self.headers),
                        "body": body,
                        "signature_ok": hmac.compare_digest(self.headers.get(SIGNATURE_HEADER, ""), expected),
                    }
                )
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def campaign(transactional_db):
    return CampaignFactory(end_date=timezone.localdate() + dt.timedelta(days=60))


@pytest.fixture
def domains(transactional_db, rep):
    customer = CustomerFactory(name="Acme", account_id="ACC-1", rep=rep)
    return [DomainFactory(customer=customer, name=name) for name in ("a.example", "b.example")]


def finished(sweep):
    return wait_for(lambda: Sweep.objects.filter(pk=sweep.pk, status__in=list(SweepStatus)[2:]).first())


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_finished_sweep_sends_its_change_summary_to_a_signed_webhook(
    celery_app, celery_worker, campaign, domains, sweep_dns
):
    with Receiver() as receiver:
        AlertChannel.objects.create(
            name="ops hook", kind=AlertChannelKind.WEBHOOK, target=receiver.url, secret=SECRET, events=[]
        )
        serve(sweep_dns, legacy_spf_zone("a.example"), legacy_spf_zone("b.example"))
        first = finished(sweep_start(campaign))
        wait_for(lambda: len(receiver.requests) == 1)
        # a.example moves its SPF to the successor; b.example stays on the legacy service.
        serve(sweep_dns, clean_zone("a.example"), legacy_spf_zone("b.example"))
        second = finished(sweep_start(campaign))
        wait_for(lambda: len(receiver.requests) == 2)

    assert first.status == second.status == SweepStatus.DONE
    assert all(request["signature_ok"] for request in receiver.requests)
    payloads = [json.loads(request["body"]) for request in receiver.requests]
    assert payloads[0]["changes"] == {"fixed": 0, "regressed": 0, "newly_breaking": 0, "first_seen": 2}
    assert payloads[1]["changes"] == {"fixed": 1, "regressed": 0, "newly_breaking": 0, "first_seen": 0}
    assert payloads[1]["event"] == AlertEvent.SWEEP_FINISHED
    assert "Since the last sweep: 1 fixed, 0 regressed, 0 newly breaking" in payloads[1]["text"]
    assert receiver.requests[1]["headers"]["X-Tracker-Event"] == "sweep_finished"
    sent = AlertDelivery.objects.filter(status=DeliveryStatus.SENT)
    assert sent.count() == 2 and all(delivery.attempts == 1 for delivery in sent)


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_receiver_answering_500_gets_retries_and_a_logged_failure_while_the_sweep_completes(
    celery_app, celery_worker, campaign, domains, sweep_dns, settings
):
    settings.ALERT_RETRY_DELAY_S = 0
    settings.ALERT_MAX_RETRIES = 2
    with Receiver(status=500) as receiver:
        AlertChannel.objects.create(
            name="broken hook", kind=AlertChannelKind.WEBHOOK, target=receiver.url, secret=SECRET
        )
        serve(sweep_dns, legacy_spf_zone("a.example"), clean_zone("b.example"))
        sweep = finished(sweep_start(campaign))
        delivery = wait_for(
            lambda: AlertDelivery.objects.filter(status=DeliveryStatus.FAILED).first(), timeout=30
        )

    assert sweep.status == SweepStatus.DONE and sweep.done == 2
    assert delivery.attempts == 3 == len(receiver.requests)
    assert delivery.last_error == "DeliveryFailed: HTTP 500 from the webhook"
    assert all(request["signature_ok"] for request in receiver.requests)


@pytest.mark.django_db
def test_a_channel_gets_only_the_events_it_asked_for(rep):
    today = timezone.localdate()
    campaign = CampaignFactory(end_date=today + dt.timedelta(days=7))
    domain = DomainFactory(customer=CustomerFactory(rep=rep), name="late.example")
    store(campaign, domain, legacy_report(domain.name), when=timezone.now() - dt.timedelta(days=14))
    milestones = AlertChannel.objects.create(
        name="m",
        kind=AlertChannelKind.EMAIL,
        target="ops@provider.example",
        events=[AlertEvent.MILESTONE_NEAR],
    )
    stalled = AlertChannel.objects.create(
        name="s",
        kind=AlertChannelKind.EMAIL,
        target="ops@provider.example",
        events=[AlertEvent.LEGACY_STALLED],
    )
    AlertChannel.objects.create(
        name="off", kind=AlertChannelKind.EMAIL, target="x@provider.example", active=False
    )

    assert alerts_daily(today, stalled_days=7) == 2
    (milestone,) = AlertDelivery.objects.filter(channel=milestones)
    assert milestone.payload["milestone"] == "end_date"
    assert milestone.title == "Post Office to Secure MX: end of the legacy service in 7 days"
    assert "1 customers still have legacy references" in milestone.body
    (stall,) = AlertDelivery.objects.filter(channel=stalled)
    assert stall.payload["legacy_domains"] == 1
    assert stall.payload["last_moved"] == (today - dt.timedelta(days=14)).isoformat()
    # Not every day: the next alert of each comes on the next warning day / stalled period.
    assert alerts_daily(today + dt.timedelta(days=1), stalled_days=7) == 0


@pytest.mark.django_db
def test_dns_down_during_a_sweep_raises_the_sweep_failed_alert(campaign, domains, dead_nameserver, settings):
    AlertChannel.objects.create(name="ops", kind=AlertChannelKind.EMAIL, target="ops@provider.example")
    settings.DNS_NAMESERVERS, settings.DNS_TIMEOUT = [dead_nameserver], 0.3
    sweep = sweep_run_sync(sweep_start(campaign, enqueue=False))

    assert sweep.status == SweepStatus.DONE and sweep.timeout_count == 2
    (delivery,) = AlertDelivery.objects.all()
    assert delivery.event == AlertEvent.SWEEP_FAILED
    assert delivery.payload["reason"] == sweep.alert
    assert "DNS server unreachable?" in delivery.body and "2 of 2 domains checked" in delivery.body


@pytest.mark.django_db
def test_a_single_domain_recheck_raises_no_alert(campaign, domains, sweep_dns):
    AlertChannel.objects.create(name="ops", kind=AlertChannelKind.EMAIL, target="ops@provider.example")
    serve(sweep_dns, clean_zone("a.example"))
    sweep = sweep_run_sync(sweep_start(campaign, [domains[0]], enqueue=False))
    assert sweep.status == SweepStatus.DONE
    assert not AlertDelivery.objects.exists()
