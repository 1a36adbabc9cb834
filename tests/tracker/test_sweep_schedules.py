"""Beat rows (ensure_schedules) and the date rules that decide whether a sweep is due."""

import datetime as dt
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from tests.factories import CampaignFactory, post_office_contract
from tests.tracker.test_history import clean_report, make_report
from tests.tracker.test_views_campaigns import form_data
from tracker.choices import SweepKind
from tracker.models import Campaign, Sweep
from tracker.services.schedules import (
    campaign_needs_sweeps,
    ensure_schedules,
    full_sweep_name,
    recheck_due,
    recheck_interval,
    recheck_name,
)
from tracker.services.sweeps import check_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(db):
    return CampaignFactory(end_date=dt.date(2026, 12, 31), cleanup_date=dt.date(2027, 3, 31))


def test_ensure_schedules_creates_the_rows_once_and_keeps_edited_timings(campaign):
    PeriodicTask.objects.all().delete()  # as before campaigns made their own rows
    created = ensure_schedules()
    assert full_sweep_name(campaign) in created and len(created) == 8
    daily = PeriodicTask.objects.get(name=full_sweep_name(campaign))
    assert daily.task == "tracker.sweep_campaign" and json.loads(daily.args) == [campaign.pk]
    assert (daily.crontab.hour, daily.crontab.minute) == ("2", "0")
    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert tasks >= {
        "tracker.recheck_campaign_if_due",
        "tracker.send_rep_digests",
        "tracker.send_ops_summary",
        "tracker.wake_snoozed_tasks",
        "tracker.resume_stalled_sweeps",
        "tracker.daily_alerts",
        "tracker.record_daily_figures",
    }

    daily.crontab = daily.crontab.__class__.objects.create(minute="15", hour="3")
    daily.save()
    assert ensure_schedules() == []
    assert PeriodicTask.objects.get(name=full_sweep_name(campaign)).crontab.hour == "3"


def test_the_command_is_idempotent(campaign, capsys):
    call_command("ensure_schedules")
    call_command("ensure_schedules")
    assert "schedules up to date" in capsys.readouterr().out
    assert PeriodicTask.objects.filter(name=full_sweep_name(campaign)).count() == 1


def test_an_inactive_campaign_stops_being_swept(campaign):
    ensure_schedules()
    campaign.active = False
    campaign.save()
    ensure_schedules()
    assert not PeriodicTask.objects.get(name=full_sweep_name(campaign)).enabled


def campaign_rows(campaign):
    return PeriodicTask.objects.filter(args=json.dumps([campaign.pk])).order_by("name")


def test_a_new_campaign_has_its_schedules_at_once(campaign):
    rows = campaign_rows(campaign)
    assert [row.name for row in rows] == [full_sweep_name(campaign), recheck_name(campaign)]
    assert all(row.enabled for row in rows)
    assert {row.task for row in rows} == {"tracker.sweep_campaign", "tracker.recheck_campaign_if_due"}


def test_schedules_follow_deactivation_and_activation(campaign):
    campaign.active = False
    campaign.save()
    assert not any(row.enabled for row in campaign_rows(campaign))
    campaign = Campaign.objects.get(pk=campaign.pk)  # as a page would load it
    campaign.active = True
    campaign.save()
    assert all(row.enabled for row in campaign_rows(campaign))


def test_an_active_campaign_saved_again_keeps_a_row_switched_off_in_the_admin(campaign):
    PeriodicTask.objects.filter(name=full_sweep_name(campaign)).update(enabled=False)
    campaign = Campaign.objects.get(pk=campaign.pk)
    campaign.name = "Renamed"
    campaign.save()
    assert not PeriodicTask.objects.get(name=full_sweep_name(campaign)).enabled
    assert PeriodicTask.objects.get(name=recheck_name(campaign)).enabled


def test_beat_hears_of_the_change(campaign):
    before = PeriodicTasks.last_change()
    campaign.active = False
    campaign.save()
    assert PeriodicTasks.last_change() is not None and PeriodicTasks.last_change() != before


def test_a_deleted_campaign_leaves_no_rows(campaign):
    pk = campaign.pk
    campaign.delete()
    assert not PeriodicTask.objects.filter(args=json.dumps([pk])).exists()


def test_a_loaded_campaign_has_its_schedules(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(post_office_contract(slug="loaded")))
    call_command("campaign", "load", str(path), stdout=StringIO())
    assert campaign_rows(Campaign.objects.get(slug="loaded")).filter(enabled=True).count() == 2


def test_a_campaign_saved_on_the_settings_page_as_active_gets_its_rows_back(ops_client, campaign):
    campaign.active = False
    campaign.save()
    data = form_data(legacy_mx_hosts="*.po.2iij.net")
    assert ops_client.post("/campaigns/post-office/edit/", data).status_code == 302
    assert campaign_rows(campaign).filter(enabled=True).count() == 2


def test_a_campaign_created_in_the_admin_has_its_schedules(client, superuser):
    client.force_login(superuser)
    contract = post_office_contract()
    response = client.post(
        reverse("admin:tracker_campaign_add"),
        {
            "slug": "admin-made",
            "name": "Made in the admin",
            "active": "on",
            "legacy": json.dumps(contract["legacy"]),
            "successor": json.dumps(contract["successor"]),
            "end_date": "2027-03-31",
        },
    )
    assert response.status_code == 302
    assert campaign_rows(Campaign.objects.get(slug="admin-made")).filter(enabled=True).count() == 2


def test_rechecks_are_hourly_in_the_last_two_weeks_before_a_deadline(campaign):
    assert recheck_interval(campaign, dt.date(2026, 11, 1)) == dt.timedelta(hours=4)
    assert recheck_interval(campaign, dt.date(2026, 12, 20)) == dt.timedelta(hours=1)
    assert recheck_interval(campaign, dt.date(2027, 1, 15)) == dt.timedelta(hours=4)
    assert recheck_interval(campaign, dt.date(2027, 3, 25)) == dt.timedelta(hours=1)


def test_a_recheck_is_due_when_no_sweep_ran_within_the_interval(campaign):
    with time_machine.travel(dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC), tick=False) as traveller:
        now = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
        assert recheck_due(campaign, now)
        Sweep.objects.create(campaign=campaign, kind=SweepKind.FULL, created_at=now)
        assert not recheck_due(campaign, now + dt.timedelta(hours=1))
        assert recheck_due(campaign, now + dt.timedelta(hours=4))
        traveller.move_to(dt.datetime(2026, 12, 20, 8, 0, tzinfo=dt.UTC))
        Sweep.objects.create(campaign=campaign, kind=SweepKind.RECHECK)
        assert recheck_due(campaign, dt.datetime(2026, 12, 20, 9, 0, tzinfo=dt.UTC))


def test_sweeps_continue_after_the_last_date_until_no_domain_is_legacy(campaign, customer):
    after = dt.date(2027, 6, 1)
    assert campaign_needs_sweeps(campaign, dt.date(2026, 11, 1))
    assert campaign_needs_sweeps(campaign, after)  # never checked yet
    domain = customer.domains.get()
    from django.db import transaction

    with transaction.atomic():
        check_store(campaign, domain, make_report())
    assert campaign_needs_sweeps(campaign, after)
    with transaction.atomic():
        check_store(campaign, domain, clean_report())
    assert not campaign_needs_sweeps(campaign, after)
    campaign.active = False
    assert not campaign_needs_sweeps(campaign, dt.date(2026, 11, 1))
