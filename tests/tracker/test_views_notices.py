"""/customers/<pk>/notice/, /customers/<pk>/notices/ and /campaigns/<slug>/notice-template/."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from tests.factories import CampaignFactory
from tracker.models import CustomerNotice, NoticeTemplate
from tracker.services.notices import notice_draft


@pytest.fixture
def campaign(db):
    return CampaignFactory(end_date=dt.date(2099, 9, 30))


@pytest.fixture
def draft(customer, campaign, rep):
    return notice_draft(customer, campaign, by=rep)


def url(customer, suffix="notice/"):
    return f"/customers/{customer.pk}/{suffix}"


def edits(**overrides):
    data = {"recipient": "it@acme.example", "subject": "Edited subject", "body": "Edited body\nline 2\n"}
    data.update(overrides)
    return data


def test_it_requires_login(client, customer, campaign):
    assert client.get(url(customer)).status_code == 302
    assert client.post(url(customer)).status_code == 302
    assert client.get(url(customer, "notices/")).status_code == 302
    assert not CustomerNotice.objects.exists()


def test_get_shows_a_draft_button_and_writes_nothing(rep_client, customer, campaign):
    response = rep_client.get(url(customer))
    assert response.status_code == 200
    assert b"Draft a new notice" in response.content
    assert not CustomerNotice.objects.exists()


def test_a_rep_drafts_a_notice_for_their_customer(rep_client, customer, campaign, rep):
    response = rep_client.post(url(customer))
    assert response.status_code == 302
    notice = CustomerNotice.objects.get()
    assert notice.customer == customer and notice.campaign == campaign and notice.drafted_by == rep
    page = rep_client.get(url(customer)).content.decode()
    assert "acme.example" in page and "Send by email" in page
    assert f'value="{customer.contact_email}"' in page
    assert CustomerNotice.objects.count() == 1


def test_the_latest_unsent_draft_is_shown(rep_client, customer, campaign, draft):
    draft.subject = "The one I was editing"
    draft.save()
    assert "The one I was editing" in rep_client.get(url(customer)).content.decode()


def test_it_hides_other_reps_customers(rep_client, other_customer, campaign, other_rep):
    other = notice_draft(other_customer, campaign, by=other_rep)
    assert rep_client.get(url(other_customer)).status_code == 404
    assert rep_client.post(url(other_customer)).status_code == 404
    assert rep_client.get(url(other_customer, "notices/")).status_code == 404
    response = rep_client.post(url(other_customer, f"notices/{other.pk}/"), edits(), follow=False)
    assert response.status_code == 404
    assert CustomerNotice.objects.count() == 1 and mail.outbox == []


def test_a_notice_is_reached_only_through_its_customer(rep_client, customer, other_customer, campaign):
    other = notice_draft(other_customer, campaign)
    assert rep_client.post(url(customer, f"notices/{other.pk}/"), edits(action="send")).status_code == 404
    assert mail.outbox == []


def test_ops_may_draft_and_send_for_anyone(ops_client, other_customer, campaign, ops_user):
    assert ops_client.post(url(other_customer)).status_code == 302
    notice = CustomerNotice.objects.get()
    assert notice.drafted_by == ops_user
    assert (
        ops_client.post(url(other_customer, f"notices/{notice.pk}/"), edits(action="send")).status_code == 302
    )
    assert len(mail.outbox) == 1
    assert "Edited subject" in ops_client.get(url(other_customer, "notices/")).content.decode()


def test_saving_keeps_the_edits_as_a_draft(rep_client, customer, draft):
    response = rep_client.post(url(customer, f"notices/{draft.pk}/"), edits(action="save"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.subject == "Edited subject" and draft.body == "Edited body\nline 2\n"
    assert draft.sent_at is None and mail.outbox == []


def test_sending_by_email_mails_the_edited_text_once(rep_client, customer, draft, rep):
    response = rep_client.post(url(customer, f"notices/{draft.pk}/"), edits(action="send"))
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.subject == "Edited subject" and message.body == "Edited body\nline 2\n"
    assert message.to == ["it@acme.example"]
    draft.refresh_from_db()
    customer.refresh_from_db()
    assert draft.sent_by == rep and draft.channel == "email"
    assert customer.notice_sent_at == draft.sent_at is not None


def test_sending_twice_is_refused(rep_client, customer, draft):
    rep_client.post(url(customer, f"notices/{draft.pk}/"), edits(action="send"))
    response = rep_client.post(url(customer, f"notices/{draft.pk}/"), edits(action="send", subject="Again"))
    assert response.status_code == 409
    assert "sent already" in response.content.decode()
    assert len(mail.outbox) == 1
    draft.refresh_from_db()
    assert draft.subject == "Edited subject"


def test_a_sent_notice_is_read_only(rep_client, customer, draft):
    rep_client.post(url(customer, f"notices/{draft.pk}/"), edits(action="mark_sent"))
    response = rep_client.post(url(customer, f"notices/{draft.pk}/"), edits(action="save", body="changed"))
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.body == "Edited body\nline 2\n"
    page = rep_client.get(url(customer)).content.decode()
    assert "Draft a new notice" in page and 'name="body"' not in page


def test_marking_sent_by_other_means_records_without_mail(rep_client, customer, draft):
    response = rep_client.post(url(customer, f"notices/{draft.pk}/"), edits(action="mark_sent"))
    assert response.status_code == 302
    assert mail.outbox == []
    draft.refresh_from_db()
    customer.refresh_from_db()
    assert draft.channel == "other" and draft.sent_at is not None
    assert customer.notice_sent_at == draft.sent_at


def test_sending_without_a_recipient_is_a_clear_error(rep_client, customer, draft):
    response = rep_client.post(url(customer, f"notices/{draft.pk}/"), edits(action="send", recipient=""))
    assert response.status_code == 409
    assert "no contact email address" in response.content.decode()
    assert mail.outbox == []
    draft.refresh_from_db()
    assert draft.sent_at is None and draft.subject == "Edited subject"


def test_an_invalid_edit_is_a_form_error(rep_client, customer, draft):
    response = rep_client.post(url(customer, f"notices/{draft.pk}/"), edits(action="send", subject=""))
    assert response.status_code == 400
    assert mail.outbox == []


def test_the_history_shows_the_text_escaped(rep_client, customer, draft):
    draft.body = "Hello <script>alert(1)</script>\n\nBye"
    draft.save()
    rep_client.post(url(customer, f"notices/{draft.pk}/"), edits(action="mark_sent", body=draft.body))
    page = rep_client.get(url(customer, "notices/")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Other means" in page and "Edited subject" in page and "Alice Archer" in page


def test_the_history_include_needs_one_query(rep, customer, campaign, other_rep):
    for number in range(3):  # notice_draft keeps one open draft: these are the history
        CustomerNotice.objects.create(
            customer=customer, campaign=campaign, subject=f"N{number}", body="B", drafted_by=other_rep
        )
    notices = customer.notices.select_related("campaign", "drafted_by", "sent_by")
    with CaptureQueriesContext(connection) as queries:
        html = render_to_string("includes/customer_notices.html", {"customer": customer, "notices": notices})
    assert len(queries) == 1 and html.count('id="notice-') == 3


# --- the campaign's template: ops only ---


def tpl_url(campaign):
    return f"/campaigns/{campaign.slug}/notice-template/"


def test_the_template_page_requires_login(client, campaign):
    assert client.get(tpl_url(campaign)).status_code == 302


def test_the_template_page_is_forbidden_to_reps(rep_client, campaign):
    assert rep_client.get(tpl_url(campaign)).status_code == 403
    assert rep_client.post(tpl_url(campaign), {"subject": "x", "body": "y"}).status_code == 403
    assert not NoticeTemplate.objects.exists()


def test_ops_see_the_default_with_a_preview(ops_client, campaign, customer):
    page = ops_client.get(tpl_url(campaign)).content.decode()
    assert "Action needed: DNS changes" in page and "Preview for Acme Widgets" in page
    assert not NoticeTemplate.objects.exists()


def test_ops_save_the_template_and_drafts_use_it(ops_client, campaign, customer):
    data = {"subject": "{{ campaign.name }} for {{ customer.name }}", "body": "{{ deadline|date:'Y' }}"}
    assert ops_client.post(tpl_url(campaign), data).status_code == 302
    assert NoticeTemplate.objects.get(campaign=campaign).body == "{{ deadline|date:'Y' }}"
    notice = notice_draft(customer, campaign)
    assert notice.subject == f"{campaign.name} for Acme Widgets" and notice.body == "2099\n"


def test_preview_does_not_save(ops_client, campaign, customer):
    response = ops_client.post(
        tpl_url(campaign), {"subject": "S", "body": "Hi {{ customer.name }}", "action": "preview"}
    )
    assert response.status_code == 200 and "Hi Acme Widgets" in response.content.decode()
    assert not NoticeTemplate.objects.exists()


@pytest.mark.parametrize(
    "body, message",
    [
        ("{% for x in domains %}never closed", "Template syntax error"),
        ("{% if %}", "Template syntax error"),
        ("{% load static %}", "Template syntax error"),
        ('{% include "base.html" %}', "template has an error"),
    ],
)
def test_template_errors_are_form_errors(ops_client, campaign, customer, body, message):
    response = ops_client.post(tpl_url(campaign), {"subject": "S", "body": body})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not NoticeTemplate.objects.exists()


def test_the_template_cannot_reach_the_reps_password(ops_client, campaign, customer, rep):
    data = {"subject": "[{{ customer.rep.password }}]", "body": "[{{ customer.rep.password }}]"}
    page = ops_client.post(tpl_url(campaign), {**data, "action": "preview"}).content.decode()
    assert rep.password and rep.password not in page and "[]" in page
    assert ops_client.post(tpl_url(campaign), data).status_code == 302
    notice = notice_draft(customer, campaign)
    assert notice.subject == "[]" and notice.body == "[]\n"
