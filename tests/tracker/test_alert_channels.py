"""Alert channels: the ops page, the API, and a chat channel going through Apprise to a loopback receiver."""

import json

import pytest

from tests.tracker.test_alerts import Receiver
from tracker.choices import AlertChannelKind, AlertEvent, DeliveryStatus
from tracker.models import AlertChannel, AlertDelivery, ApiWrite
from tracker.services.alerts import alert_raise, delivery_send
from tracker.services.tokens import token_create


def test_the_page_is_for_ops(rep_client):
    assert rep_client.get("/alerts/").status_code == 403


def test_ops_add_a_webhook_which_needs_a_secret(ops_client):
    answer = ops_client.post(
        "/alerts/",
        {"name": "hook", "kind": "webhook", "target": "https://hooks.provider.example/x", "active": "on"},
    )
    assert answer.status_code == 400
    assert not AlertChannel.objects.exists()
    answer = ops_client.post(
        "/alerts/",
        {
            "name": "hook",
            "kind": "webhook",
            "target": "https://hooks.provider.example/x",
            "secret": "k",
            "events": ["sweep_failed"],
            "active": "on",
        },
    )
    assert answer.status_code == 302
    channel = AlertChannel.objects.get()
    assert (channel.events, channel.wants("sweep_failed"), channel.wants("sweep_finished")) == (
        ["sweep_failed"],
        True,
        False,
    )


def test_a_test_alert_goes_to_that_channel_only(ops_client):
    one = AlertChannel.objects.create(name="one", kind=AlertChannelKind.EMAIL, target="a@provider.example")
    AlertChannel.objects.create(name="two", kind=AlertChannelKind.EMAIL, target="b@provider.example")
    assert ops_client.post(f"/alerts/{one.pk}/test/").status_code == 302
    assert [delivery.channel for delivery in AlertDelivery.objects.all()] == [one]
    page = ops_client.get("/alerts/").content.decode()
    assert "Test alert from the retirement tracker" in page


@pytest.mark.django_db
def test_an_email_channel_sends_mail(mailoutbox):
    channel = AlertChannel.objects.create(
        name="ops", kind=AlertChannelKind.EMAIL, target="ops@provider.example"
    )
    (delivery,) = alert_raise(AlertEvent.SWEEP_FAILED, "Sweep failed", "DNS server unreachable?")
    assert delivery_send(delivery.pk).status == DeliveryStatus.SENT
    (mail,) = mailoutbox
    assert (mail.subject, mail.to, mail.body) == ("Sweep failed", [channel.target], "DNS server unreachable?")


@pytest.mark.django_db
def test_a_chat_channel_goes_through_apprise():
    """Apprise's generic json:// notifier stands in for Slack's (same library path, a loopback receiver)."""
    with Receiver() as receiver:
        url = receiver.url.replace("http://", "json://")
        AlertChannel.objects.create(name="chat", kind=AlertChannelKind.SLACK, target=url)
        (delivery,) = alert_raise(
            AlertEvent.SWEEP_FINISHED, "Sweep finished", "Since the last sweep: 1 fixed"
        )
        assert delivery_send(delivery.pk).status == DeliveryStatus.SENT
    (request,) = receiver.requests
    body = json.loads(request["body"])
    assert (body["title"], body["message"]) == ("Sweep finished", "Since the last sweep: 1 fixed")


@pytest.mark.django_db
def test_a_channel_apprise_cannot_read_fails_with_a_reason():
    AlertChannel.objects.create(name="bad", kind=AlertChannelKind.LINE, target="not a url")
    (delivery,) = alert_raise(AlertEvent.SWEEP_FINISHED, "t", "b")
    with pytest.raises(Exception, match="Apprise does not understand"):
        delivery_send(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)


@pytest.mark.django_db
def test_the_api_manages_channels_for_ops_and_never_shows_the_secret(client, ops_user, rep):
    _row, ops_token = token_create(ops_user, "t", "read_write")
    _row, rep_token = token_create(rep, "t", "read_write")
    payload = {"name": "hook", "kind": "webhook", "target": "https://hooks.provider.example/x", "secret": "k"}
    answer = client.post(
        "/api/alert-channels/",
        payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {rep_token}",
    )
    assert answer.status_code == 403
    answer = client.post(
        "/api/alert-channels/",
        payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {ops_token}",
    )
    assert answer.status_code == 201, answer.content
    assert "secret" not in answer.json() and answer.json()["has_secret"] is True
    assert AlertChannel.objects.get().secret == "k"
    assert ApiWrite.objects.get().user == ops_user


@pytest.mark.parametrize(
    ("kind", "target", "ok"),
    [
        ("email", "ops@provider.example", True),
        ("email", "not an address", False),
        ("webhook", "ftp://hooks.provider.example/", False),
        ("slack", "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX", True),
        ("line", "line://token/user", True),
        ("teams", "not a url", False),
    ],
)
def test_a_target_that_cannot_work_is_refused_before_saving(ops_client, kind, target, ok):
    answer = ops_client.post(
        "/alerts/", {"name": "c", "kind": kind, "target": target, "secret": "k", "active": "on"}
    )
    assert answer.status_code == (302 if ok else 400)
    assert AlertChannel.objects.exists() is ok


def test_editing_a_channel_never_shows_its_secret_and_keeps_it_when_left_blank(ops_client):
    channel = AlertChannel.objects.create(
        name="hook", kind=AlertChannelKind.WEBHOOK, target="https://hooks.provider.example/x", secret="k-9f3"
    )
    page = ops_client.get(f"/alerts/{channel.pk}/").content.decode()
    assert "k-9f3" not in page
    answer = ops_client.post(
        f"/alerts/{channel.pk}/",
        {"name": "renamed", "kind": "webhook", "target": channel.target, "secret": "", "active": "on"},
    )
    assert answer.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.secret) == ("renamed", "k-9f3")
