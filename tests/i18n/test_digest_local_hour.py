"""Each rep's digest arrives once a day at 08:30 on their own clock, in their own language."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from customers.models import UserProfile
from tests.factories import CampaignFactory
from tests.tracker.test_digest import store
from tests.tracker.test_history import make_report
from tracker.services.digests import send_ops_summary, send_rep_digests

pytestmark = pytest.mark.django_db

# 30 November 2026, 23:00 UTC is 08:00 on Tuesday 1 December in Tokyo and 23:00 in London.
EVENING_UTC = dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)


@pytest.fixture
def campaign(db):
    return CampaignFactory(end_date=dt.date(2027, 3, 31))


@pytest.fixture
def tokyo_and_london(campaign, customer, other_customer, rep, other_rep, settings):
    """Alice works in Tokyo in Japanese, Bob in London in English (he had his digest this morning)."""
    settings.SITE_URL = "https://tracker.example"
    UserProfile.objects.create(user=rep, language="ja", time_zone="Asia/Tokyo")
    UserProfile.objects.create(
        user=other_rep, language="en", time_zone="Europe/London", digest_sent_on=dt.date(2026, 11, 30)
    )
    with time_machine.travel(EVENING_UTC - dt.timedelta(hours=12), tick=False):
        store(campaign, customer.domains.get(), make_report())
        store(campaign, other_customer.domains.get(), make_report("bobcat.example"))


def send_at(moment: dt.datetime) -> list[str]:
    """Beat's run at `moment`: who got a digest."""
    before = len(mail.outbox)
    with time_machine.travel(moment, tick=False):
        send_rep_digests()
    return [message.to[0] for message in mail.outbox[before:]]


def test_each_rep_gets_the_digest_once_their_clock_passes_08_30(tokyo_and_london, rep, other_rep):
    assert send_at(EVENING_UTC) == []  # 08:00 in Tokyo
    assert send_at(EVENING_UTC + dt.timedelta(minutes=30)) == [rep.email]  # 08:30 in Tokyo
    assert send_at(EVENING_UTC + dt.timedelta(hours=1)) == []  # Tokyo had today's
    assert send_at(EVENING_UTC + dt.timedelta(hours=9)) == []  # 08:00 in London
    assert send_at(EVENING_UTC + dt.timedelta(hours=9, minutes=30)) == [other_rep.email]  # 08:30 in London
    assert send_at(EVENING_UTC + dt.timedelta(hours=24, minutes=30)) == [rep.email]  # the next day in Tokyo
    assert UserProfile.objects.get(user=rep).digest_sent_on == dt.date(2026, 12, 2)


def test_a_late_run_still_sends_the_days_digest(tokyo_and_london, rep):
    """Beat down in the morning: the first run after 08:30 (here 14:00 JST) sends it."""
    assert rep.email in send_at(EVENING_UTC + dt.timedelta(hours=6))


def test_the_tokyo_digest_is_in_japanese_with_absolute_links(tokyo_and_london, rep):
    send_at(EVENING_UTC + dt.timedelta(minutes=30))
    (message,) = mail.outbox
    assert message.subject == "フォローアップタスク: 未完了 1 件"
    assert message.body.startswith("Alice Archer さん")
    assert "未完了のフォローアップタスクが 1 件あります。" in message.body
    assert "タスク一覧: https://tracker.example/tasks/" in message.body
    assert "acme.example (Acme Widgets, ACC-1001)" in message.body


def test_the_london_digest_is_in_english(tokyo_and_london, other_rep):
    send_at(EVENING_UTC + dt.timedelta(hours=9, minutes=30))
    (message,) = [message for message in mail.outbox if message.to == [other_rep.email]]
    assert message.subject == "Your follow-up tasks: 1 open"
    assert (
        message.body.startswith("Hello Bob Baker,")
        and "Your task list: https://tracker.example/tasks/" in message.body
    )


def test_a_rep_without_a_profile_gets_the_deployments_language_and_zone(campaign, customer, rep, settings):
    settings.LANGUAGE_CODE, settings.TIME_ZONE = "ja", "Asia/Tokyo"
    with time_machine.travel(EVENING_UTC - dt.timedelta(hours=12), tick=False):
        store(campaign, customer.domains.get(), make_report())
    assert send_at(EVENING_UTC) == []
    assert send_at(EVENING_UTC + dt.timedelta(minutes=30)) == [rep.email]
    assert mail.outbox[0].subject.startswith("フォローアップタスク")
    assert UserProfile.objects.get(user=rep).digest_sent_on == dt.date(2026, 12, 1)


def test_the_ops_summary_goes_out_in_each_readers_language(campaign, customer, ops_user, superuser):
    UserProfile.objects.create(user=ops_user, language="ja", time_zone="Asia/Tokyo")
    UserProfile.objects.create(user=superuser, language="en", time_zone="UTC")
    store(campaign, customer.domains.get(), make_report())
    assert send_ops_summary() == 2
    by_reader = {message.to[0]: message for message in mail.outbox}
    japanese = by_reader[ops_user.email]
    assert japanese.subject.startswith("移行サマリー") and "旧サービス参照あり: 1 ドメイン" in japanese.body
    assert "+ acme.example (Acme Widgets): spf-include" in japanese.body
    assert by_reader[superuser.email].subject.startswith("Retirement summary")
