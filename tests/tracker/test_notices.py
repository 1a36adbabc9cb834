"""Customer notices: drafted with the exact DNS change per domain, sent once, kept in the history."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction

from tests.factories import CampaignFactory, DomainFactory
from tests.tracker.test_history import make_report
from tracker.models import CustomerNotice, NoticeTemplate
from tracker.services.notices import NoticeError, notice_draft, notice_send
from tracker.services.sweeps import check_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(db):
    successor = {
        "name": "Secure MX",
        "mx_hosts": ["mx1.securemx.example", "*.securemx.example"],
        "spf_includes": ["spf.securemx.example"],
        "ip_ranges": [],
        "outbound_ips": [],
        "dkim_selectors": [],
    }
    return CampaignFactory(end_date=dt.date(2099, 9, 30), successor=successor)


@pytest.fixture
def checked_customer(customer, campaign):
    """acme.example: legacy SPF include; mail.acme.example: legacy MX; new.acme.example: unchecked."""
    spf_domain = customer.domains.get()
    mx_domain = DomainFactory(customer=customer, name="mail.acme.example")
    DomainFactory(customer=customer, name="new.acme.example")
    mx_report = make_report("mail.acme.example")
    mx_report["legacy_references"] = [{"kind": "mx", "value": "mx1.po.2iij.net", "path": []}]
    with transaction.atomic():
        check_store(campaign, spf_domain, make_report())
        check_store(campaign, mx_domain, mx_report)
    return customer


def test_a_draft_states_the_exact_dns_change_per_domain(checked_customer, campaign, rep):
    notice = notice_draft(checked_customer, campaign, by=rep)
    assert notice.sent_at is None and notice.drafted_by == rep
    assert notice.recipient == checked_customer.contact_email
    assert "30 September 2099" in notice.subject
    body = notice.body
    assert (
        'publish this SPF record (TXT) at acme.example: "v=spf1 include:spf.successor.example -all"' in body
    )
    assert "set the MX records of mail.acme.example to mx1.securemx.example" in body
    assert "new.acme.example\n  - not checked yet" in body
    assert "before 30 September 2099" in body and "Alice Archer" in body


def test_the_campaign_template_is_used_when_there_is_one(checked_customer, campaign):
    NoticeTemplate.objects.create(  # in the language of the notices drafted here (en)
        campaign=campaign,
        language="en",
        subject="{{ campaign.name }}: your changes",
        body="{% for item in domains %}{{ item.domain.name }}={{ item.changes|length }};{% endfor %}",
    )
    notice = notice_draft(checked_customer, campaign)
    assert notice.subject == "Post Office to Secure MX: your changes"
    assert notice.body.strip() == "acme.example=1;mail.acme.example=1;new.acme.example=1;"


def test_sending_mails_it_once_and_records_it_in_the_customers_history(checked_customer, campaign, rep):
    notice = notice_draft(checked_customer, campaign, by=rep)
    notice.body += "\nP.S. edited by the rep\n"
    notice.save()
    notice = notice_send(notice, by=rep)
    assert notice.sent_by == rep and notice.channel == "email" and notice.sent_at is not None
    (message,) = mail.outbox
    assert message.to == [checked_customer.contact_email] and "edited by the rep" in message.body
    checked_customer.refresh_from_db()
    assert checked_customer.notice_sent_at == notice.sent_at
    assert list(checked_customer.notices.all()) == [notice]
    with pytest.raises(NoticeError):
        notice_send(notice, by=rep)
    assert len(mail.outbox) == 1


def test_a_notice_given_by_other_means_is_recorded_without_mail(checked_customer, campaign, rep):
    notice = notice_send(notice_draft(checked_customer, campaign), by=rep, via_email=False)
    assert notice.channel == "other" and notice.sent_at is not None
    assert mail.outbox == []


def test_a_customer_without_an_address_cannot_be_mailed(checked_customer, campaign, rep):
    checked_customer.update({"contact_email": ""})
    notice = notice_draft(checked_customer, campaign)
    with pytest.raises(NoticeError):
        notice_send(notice, by=rep)
    assert CustomerNotice.objects.get().sent_at is None


def test_the_template_gets_plain_data_not_models(checked_customer, campaign, rep):
    """Ops edit the template: it must not reach the rep's password hash, or any model."""
    NoticeTemplate.objects.create(  # in the language of the notices drafted here (en)
        campaign=campaign,
        language="en",
        subject="[{{ customer.rep.password }}]",
        body=(
            "[{{ customer.rep.password }}][{{ customer.rep.name }}]"
            "[{{ customer.domains.all }}][{{ campaign.notices.all }}][{{ domains.0.domain.customer }}]"
        ),
    )
    notice = notice_draft(checked_customer, campaign)
    assert notice.subject == "[]"
    assert notice.body.strip() == "[][Alice Archer][][][]"


@pytest.mark.parametrize("body", ['{% load static %}{% static "x" %}', '{% include "base.html" %}'])
def test_the_template_cannot_load_tags_or_other_templates(checked_customer, campaign, body):
    NoticeTemplate.objects.create(campaign=campaign, language="en", subject="s", body=body)
    with pytest.raises(NoticeError, match="template has an error"):
        notice_draft(checked_customer, campaign)
    assert not CustomerNotice.objects.exists()
