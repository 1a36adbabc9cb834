"""`manage.py seed_demo`: the documented Japanese demo, deterministic and idempotent."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from customers.choices import MigrationStatus
from customers.models import Customer, Domain, StatusChange
from customers.roles import is_ops, is_rep
from tracker.models import Campaign

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot():
    return (
        get_user_model().objects.count(),
        Customer.objects.count(),
        Domain.objects.count(),
        StatusChange.objects.count(),
        Campaign.objects.count(),
        list(
            Customer.objects.order_by("account_id").values_list(
                "account_id", "name", "status", "rep__username"
            )[:20]
        ),
    )


def test_it_creates_the_demo_and_is_idempotent():
    output = seed()
    assert "demo-password-1" in output and "rep1" in output

    users = get_user_model().objects
    assert sum(is_rep(user) for user in users.all()) == 5
    assert is_ops(users.get(username="ops")) and users.get(username="admin").is_superuser
    # The login lockout (django-axes) judges every attempt by its request.
    login = RequestFactory().post("/login/")
    assert authenticate(login, username="rep3", password="demo-password-1") is not None

    assert Customer.objects.count() == 300
    assert 380 <= Domain.objects.count() <= 450
    assert set(Customer.objects.values_list("status", flat=True)) == set(MigrationStatus.values)
    assert all(name.endswith(".example") for name in Domain.objects.values_list("name", flat=True))
    assert Domain.objects.filter(name__startswith="xn--").exists()
    # every status was reached through the workflow, so the audit log explains it
    migrated = Customer.objects.filter(status=MigrationStatus.MIGRATED).first()
    assert list(migrated.status_changes.order_by("pk").values_list("to_status", flat=True)) == [
        "contacted",
        "scheduled",
        "migrating",
        "migrated",
    ]

    campaign = Campaign.objects.get()
    today = timezone.localdate()
    # Dates relative to today: the service ends in a few months, the cleanup after it.
    assert today + dt.timedelta(days=60) < campaign.end_date < today + dt.timedelta(days=200)
    assert campaign.cleanup_date > campaign.end_date
    assert campaign.internal_announcement_date < campaign.customer_announcement_date < today
    assert campaign.to_contract()["legacy"]["mx_hosts"] == ["*.po.2iij.net"]
    assert campaign.legacy["name"] == "IIJポストオフィスサービス"
    assert campaign.successor["name"] == "IIJセキュアMXサービス"

    # What its users will see: Japanese businesses, contacts and reps.
    names = list(Customer.objects.values_list("name", flat=True))
    assert any(name.startswith("株式会社") for name in names) and any(
        name.endswith("有限会社") for name in names
    )
    assert users.get(username="rep1").last_name == "佐藤"
    assert all(not name.isascii() for name in names)

    before = snapshot()
    assert "(0 new)" in seed()
    assert snapshot() == before
