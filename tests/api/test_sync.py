"""CRM sync over HTTP: the importer's all-or-nothing upsert, idempotent, and the changed-since feed."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.models import Customer, Domain, StatusChange
from tests.factories import CampaignFactory
from tests.reports import clean_report, legacy_report, store
from tracker.choices import TokenAccess
from tracker.models import ApiWrite

pytestmark = pytest.mark.django_db(transaction=True)

GOOD_ROWS = [
    {
        "account_id": "CRM-1",
        "customer_name": "Kanda Shoji",
        "rep_username": "alice",
        "domains": ["kanda.example"],
    },
    {
        "account_id": "CRM-2",
        "customer_name": "Ueno Foods",
        "status": "contacted",
        "domains": "ueno.example www.ueno.example",
    },
    {"account_id": "ACC-1001", "customer_name": "Acme Widgets", "contact_email": "it@acme.example"},
]


def test_an_upsert_creates_and_updates_and_reposting_changes_nothing(api_for, ops_user, customer):
    api = api_for(ops_user)
    first = api.post("/api/sync/customers/", {"rows": GOOD_ROWS})
    assert first.status == 200, first.body
    assert first.json | {"errors": []} == first.json
    assert (
        first.json["customers_created"],
        first.json["customers_updated"],
        first.json["domains_added"],
    ) == (2, 1, 3)
    assert Customer.objects.get(account_id="CRM-1").rep.username == "alice"
    assert Customer.objects.get(account_id="CRM-2").status == "contacted"
    assert Customer.objects.get(account_id="ACC-1001").contact_email == "it@acme.example"
    before = (
        list(Customer.objects.order_by("pk").values()),
        list(Domain.objects.order_by("pk").values()),
        StatusChange.objects.count(),
    )

    again = api.post("/api/sync/customers/", {"rows": GOOD_ROWS})
    assert again.status == 200
    assert (
        again.json["customers_created"],
        again.json["customers_updated"],
        again.json["customers_unchanged"],
    ) == (
        0,
        0,
        3,
    )
    after = (
        list(Customer.objects.order_by("pk").values()),
        list(Domain.objects.order_by("pk").values()),
        StatusChange.objects.count(),
    )
    assert after == before
    assert ApiWrite.objects.filter(user=ops_user, path="/api/sync/customers/").count() == 2


def test_three_bad_rows_change_nothing_and_are_named(api_for, ops_user, customer, other_customer):
    rows = [
        *GOOD_ROWS,
        {"account_id": "CRM-3", "customer_name": "Bad Mail", "contact_email": "not-an-address"},
        {"account_id": "CRM-4", "customer_name": "Taken", "domains": ["bobcat.example"]},
        {"account_id": "CRM-5", "customer_name": "Odd", "status": "on-holiday"},
    ]
    before = (Customer.objects.count(), Domain.objects.count(), StatusChange.objects.count())
    answer = ops_api = api_for(ops_user).post("/api/sync/customers/", {"rows": rows})
    assert ops_api.status == 422
    assert answer.json["applied"] is False
    assert [(error["row"], error["field"]) for error in answer.json["errors"]] == [
        (4, "contact_email"),
        (5, "domains"),
        (6, "status"),
    ]
    assert "another customer (ACC-2002)" in answer.json["errors"][1]["problem"]
    assert (Customer.objects.count(), Domain.objects.count(), StatusChange.objects.count()) == before
    assert not Customer.objects.filter(account_id__startswith="CRM-").exists()


def test_unknown_fields_are_errors_of_their_row(api_for, ops_user):
    answer = api_for(ops_user).post(
        "/api/sync/customers/", {"rows": [{"account_id": "CRM-9", "customer_name": "X", "fax": "03-1234"}]}
    )
    assert answer.status == 422
    assert [(e["row"], e["field"]) for e in answer.json["errors"]] == [(1, "fax")]
    assert not Customer.objects.filter(account_id="CRM-9").exists()


def test_a_dry_run_reports_and_saves_nothing(api_for, ops_user, rep):
    answer = api_for(ops_user).post("/api/sync/customers/", {"rows": GOOD_ROWS[:2], "dry_run": True})
    assert (answer.status, answer.json["customers_created"], answer.json["applied"]) == (200, 2, False)
    assert not Customer.objects.filter(account_id__startswith="CRM-").exists()


def test_the_upsert_is_for_ops_with_a_write_token(api_for, rep, ops_user):
    assert api_for(rep).post("/api/sync/customers/", {"rows": GOOD_ROWS}).status == 403
    assert api_for(ops_user, TokenAccess.READ).post("/api/sync/customers/", {"rows": GOOD_ROWS}).status == 403
    assert not Customer.objects.filter(account_id__startswith="CRM-").exists()


def test_the_changed_since_feed(api_for, rep, ops_user, customer, other_customer):
    campaign = CampaignFactory(end_date=timezone.localdate() + dt.timedelta(days=30))
    start = timezone.now()
    acme, bobcat = customer.domains.get(), other_customer.domains.get()
    store(campaign, acme, legacy_report(acme.name), when=start + dt.timedelta(seconds=1))
    store(campaign, bobcat, clean_report(bobcat.name), when=start + dt.timedelta(seconds=2))
    customer.change_status("contacted", by=rep)

    feed = api_for(ops_user).get(f"/api/changes/?since={start.isoformat().replace('+', '%2B')}").json
    assert [(row["name"], row["verdict"]) for row in feed["verdicts"]] == [
        ("acme.example", "legacy"),
        ("bobcat.example", "clean"),
    ]
    assert [(row["account_id"], row["to_status"]) for row in feed["statuses"]] == [("ACC-1001", "contacted")]
    assert feed["complete"] is True

    mine = api_for(rep).get(f"/api/changes/?since={start.isoformat().replace('+', '%2B')}").json
    assert [row["name"] for row in mine["verdicts"]] == ["acme.example"]

    later = api_for(ops_user).get(f"/api/changes/?since={feed['next_since'].replace('+', '%2B')}").json
    assert later["verdicts"] == [] and later["statuses"] == []


def test_the_feed_needs_a_moment(api_for, ops_user):
    assert api_for(ops_user).get("/api/changes/").status == 400


def test_an_unknown_rep_is_an_error_unless_reps_may_be_created(api_for, ops_user):
    rows = [{"account_id": "CRM-7", "customer_name": "Shiba Denki", "rep_username": "newrep"}]
    refused = api_for(ops_user).post("/api/sync/customers/", {"rows": rows})
    assert refused.status == 422
    assert [(e["row"], e["field"]) for e in refused.json["errors"]] == [(1, "rep_username")]
    assert not Customer.objects.filter(account_id="CRM-7").exists()

    created = api_for(ops_user).post("/api/sync/customers/", {"rows": rows, "create_reps": True})
    assert created.status == 200, created.body
    assert (created.json["reps_created"], Customer.objects.get(account_id="CRM-7").rep.username) == (
        1,
        "newrep",
    )
