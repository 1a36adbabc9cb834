"""Advice shown only when verified (issue 10 items 1 and 2, issue 15 notices): notices and task cards.

The engine probes the test DNS server; the records are the ones quoted in issue 10.
"""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from tests.conftest_dns import TEST_TIMEOUT
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.tracker.test_evidence import LEGACY, SUCCESSOR
from tracker.models import CustomerNotice, FollowUpTask
from tracker.probe.engine import probe_many
from tracker.services.notices import NoticeNeedsConfirmation, notice_draft, notice_send
from tracker.services.sweeps import check_store

INCLUDE = "include:spf.securemx.example"
RECORDS = {
    "spf.po.2iij.net": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
    # The successor's record needs a lookup of its own: a swap can go over the limit.
    "spf.securemx.example": {"TXT": ["v=spf1 include:out.securemx.example -all"]},
    "out.securemx.example": {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
    "ipsonly.example": {"MX": [(10, "mx1.securemx.example")], "TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
    "two.example": {"TXT": ["v=spf1 include:spf.po.2iij.net -all", "v=spf1 mx -all"]},
    "loop.example": {"TXT": ["v=spf1 include:loop.example include:spf.po.2iij.net -all"]},
    "slowinc.example": {"TXT": ["v=spf1 include:spf.po.2iij.net include:_spf.slowinc.example -all"]},
    "timedout.example": {"TXT": ["v=spf1 include:spf.securemx.example -all"]},
    "eleven.example": {
        "TXT": [
            "v=spf1 include:spf.po.2iij.net "
            + " ".join(f"include:s{i}.eleven.example" for i in range(9))
            + " -all"
        ]
    },
    **{f"s{i}.eleven.example": {"TXT": [f"v=spf1 ip4:203.0.113.{i} -all"]} for i in range(9)},
    "mailonly.example": {
        "MX": [(10, "mx1.po.2iij.net")],
        "TXT": ["v=spf1 include:spf.securemx.example -all"],
    },
}


@pytest.fixture
def campaign(db):
    return CampaignFactory(
        legacy=LEGACY, successor=SUCCESSOR, end_date=timezone.localdate() + dt.timedelta(days=30)
    )


@pytest.fixture
def checked(dns_server, campaign, rep):
    """checked(*names) -> a customer of `rep` with those domains, probed and stored as a sweep does (tasks too)."""
    dns_server.set_records(RECORDS)
    for name in ("_spf.slowinc.example", "timedout.example", "_dmarc.timedout.example"):
        dns_server.set_fault(name, "timeout")

    def check(*names):
        customer = CustomerFactory(rep=rep, name="Advice Co", contact_email="it@advice.example")
        domains = [DomainFactory(customer=customer, name=name) for name in names]
        reports = probe_many(campaign.to_probe(), names, [dns_server.address], timeout=TEST_TIMEOUT)
        with transaction.atomic():
            for domain, report in zip(domains, reports, strict=True):
                check_store(campaign, domain, report.to_json())
        return customer

    return check


def body_of(customer, campaign):
    return notice_draft(customer, campaign).body


def test_an_ip_only_customer_is_told_the_successor_include(checked, campaign):
    body = body_of(checked("ipsonly.example"), campaign)
    assert f'publish this SPF record (TXT) at ipsonly.example: "v=spf1 {INCLUDE} -all"' in body
    assert "v=spf1 -all" not in body
    assert f"SPF include {INCLUDE}" in body and "mx1.securemx.example, mx2.securemx.example" in body
    assert "welcome mail" not in body


def test_two_spf_records_are_to_be_replaced_by_one(checked, campaign):
    body = body_of(checked("two.example"), campaign)
    assert "fix this first: two.example publishes more than one SPF record" in body
    assert "replace them all with one single record" in body and INCLUDE in body
    assert "publish this SPF record" not in body


def test_a_record_already_broken_gets_fix_this_first(checked, campaign):
    body = body_of(checked("loop.example"), campaign)
    assert "fix this first: the SPF record at loop.example is already broken" in body
    assert "publish this SPF record" not in body


def test_a_swap_over_ten_lookups_is_not_offered(checked, campaign):
    body = body_of(checked("eleven.example"), campaign)
    assert "we cannot offer a record we have checked for eleven.example" in body
    assert "11" in body and "tell us" in body
    assert "publish this SPF record" not in body


@pytest.mark.parametrize(
    "name, failure",
    [
        ("timedout.example", "SPF lookup of timedout.example timed out"),
        ("slowinc.example", "SPF lookup of _spf.slowinc.example timed out"),
    ],
)
def test_failed_lookups_never_read_as_nothing_to_change(checked, campaign, name, failure):
    body = body_of(checked(name), campaign)
    assert "nothing to change" not in body
    assert failure in body and "publish this SPF record" not in body


def test_the_successor_mx_hosts_are_named(checked, campaign):
    body = body_of(checked("mailonly.example"), campaign)
    assert "set the MX records of mailonly.example to mx1.securemx.example, mx2.securemx.example" in body


# -- the task card -------------------------------------------------------------------------------


def task_card(client, customer):
    task = FollowUpTask.objects.get(customer=customer, kind="legacy_spf_include")
    text = client.get("/tasks/").content.decode()
    start = text.index(f'id="task-{task.pk}"')
    return text[start : text.index("</article>", start)]


def test_the_task_shows_the_verified_record(rep_client, checked):
    card = task_card(rep_client, checked("ipsonly.example"))
    assert 'data-advice="verified"' in card and f"v=spf1 {INCLUDE} -all" in card


@pytest.mark.parametrize(
    "name, status, words",
    [
        ("two.example", "fix_first", "fix this first: two.example publishes more than one SPF record"),
        ("slowinc.example", "unknown", "SPF lookup of _spf.slowinc.example timed out"),
        ("eleven.example", "withheld", "we cannot offer a record we have checked"),
    ],
)
def test_the_task_says_why_no_record_is_offered(rep_client, checked, name, status, words):
    card = task_card(rep_client, checked(name))
    assert f'data-advice="{status}"' in card and words in card
    assert "Checked record to publish" not in card


# -- sending: From, Reply-To, a past deadline ----------------------------------------------------------


def test_a_notice_comes_from_the_notice_address_and_replies_go_to_the_rep(checked, campaign, rep, settings):
    settings.NOTICE_FROM_EMAIL = "migration@isp.example"
    notice = notice_draft(checked("ipsonly.example"), campaign)
    notice_send(notice, by=rep)
    (message,) = mail.outbox
    assert message.from_email == "migration@isp.example"
    assert message.reply_to == [rep.email]


def test_a_notice_past_its_deadline_asks_for_confirmation(rep_client, checked, campaign):
    customer = checked("ipsonly.example")
    campaign.end_date = timezone.localdate() - dt.timedelta(days=3)
    campaign.save()
    notice = notice_draft(customer, campaign)
    with pytest.raises(NoticeNeedsConfirmation):
        notice_send(notice, by=None)
    page = rep_client.get(f"/customers/{customer.pk}/notice/").content.decode()
    assert 'id="notice-deadline-passed"' in page
    form = {"recipient": notice.recipient, "subject": notice.subject, "body": notice.body, "action": "send"}
    response = rep_client.post(f"/customers/{customer.pk}/notices/{notice.pk}/", form)
    assert response.status_code == 409 and b'name="confirm_past_deadline"' in response.content
    assert not mail.outbox and CustomerNotice.objects.get().sent_at is None
    response = rep_client.post(
        f"/customers/{customer.pk}/notices/{notice.pk}/", {**form, "confirm_past_deadline": "1"}
    )
    assert response.status_code == 302 and len(mail.outbox) == 1
    assert CustomerNotice.objects.get().sent_at is not None


def test_a_campaign_with_only_mx_patterns_names_the_successor_domain(checked, campaign):
    campaign.successor = dict(SUCCESSOR, mx_hosts=["*.securemx.example"])
    campaign.save()
    body = body_of(checked("mailonly.example"), campaign)
    assert (
        "set the MX records of mailonly.example to the MX hosts of Secure MX under securemx.example" in body
    )
    assert "welcome mail" not in body
