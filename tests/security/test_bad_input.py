"""Every bad input a clear error, never a 500 (issue 12): each case failed before its fix."""

import datetime as dt

import pytest
from django.core import mail

from tests.factories import CampaignFactory
from tracker.models import CustomerNotice, NoticeTemplate
from tracker.services.notices import notice_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(db):
    return CampaignFactory(end_date=dt.date(2099, 9, 30))


@pytest.fixture
def draft(customer, campaign, rep):
    return notice_draft(customer, campaign, by=rep)


def tpl_url(campaign):
    return f"/campaigns/{campaign.slug}/notice-template/"


@pytest.mark.parametrize("per_page", ["-5", "0", "abc", "99999999999999999999", "1e3"])
@pytest.mark.parametrize("path", ["/customers/", "/tasks/", "/domains/"])
def test_a_bad_per_page_is_not_a_500(ops_client, customer, campaign, path, per_page):
    response = ops_client.get(f"{path}?per_page={per_page}")
    assert response.status_code == 200, (path, per_page)


def test_a_huge_per_page_is_capped(ops_client, customer, campaign):
    response = ops_client.get("/customers/?per_page=1000000")
    assert response.status_code == 200
    assert response.context["table"].paginator.per_page <= 500


@pytest.mark.parametrize("subject", ["Hello\nBcc: victim@example.com", "Hello\rthere"])
def test_a_newline_in_a_notice_subject_is_a_form_error(rep_client, customer, draft, subject):
    data = {"recipient": "it@acme.example", "subject": subject, "body": "Text", "action": "send"}
    response = rep_client.post(f"/customers/{customer.pk}/notices/{draft.pk}/", data)
    assert response.status_code == 400
    assert "The subject must be one line" in response.content.decode()
    assert mail.outbox == []
    draft.refresh_from_db()
    assert draft.sent_at is None and "\n" not in draft.subject


def test_a_newline_in_a_template_subject_renders_to_one_line(ops_client, campaign, customer):
    data = {"subject": "A\n{{ customer.name }}\nB", "body": "Body"}
    assert ops_client.post(tpl_url(campaign), data).status_code == 302
    assert notice_draft(customer, campaign).subject == "A Acme Widgets B"


def test_a_deeply_nested_template_is_a_clear_error(ops_client, campaign, customer):
    body = "{% if 1 %}" * 3000 + "x" + "{% endif %}" * 3000
    response = ops_client.post(tpl_url(campaign), {"subject": "S", "body": body})
    assert response.status_code == 400
    assert "nested too deeply" in response.content.decode()
    assert not NoticeTemplate.objects.exists()


def test_a_template_whose_output_is_huge_is_a_clear_error(ops_client, campaign, customer):
    # 30 MB of output from a few hundred bytes of template.
    body = (
        "{% for a in '"
        + "x" * 100
        + "' %}{% for b in '"
        + "x" * 100
        + "' %}{% for c in '"
        + "x" * 30
        + "' %}"
    )
    body += "y" * 100 + "{% endfor %}{% endfor %}{% endfor %}"
    response = ops_client.post(tpl_url(campaign), {"subject": "S", "body": body, "action": "preview"})
    assert response.status_code == 400
    assert "longer than 200 KB" in response.content.decode()


def test_a_double_click_on_draft_makes_one_draft(rep_client, customer, campaign):
    first = rep_client.post(f"/customers/{customer.pk}/notice/")
    second = rep_client.post(f"/customers/{customer.pk}/notice/")
    assert first.status_code == 302 and second.status_code == 302
    assert (
        CustomerNotice.objects.filter(customer=customer, campaign=campaign, sent_at__isnull=True).count() == 1
    )


def test_the_sweep_alert_says_what_was_stored_and_which_tasks_opened_counted(campaign, customer):
    from django.utils import timezone

    from tracker.choices import TaskKind
    from tracker.models import FollowUpTask

    sweep = campaign.sweeps.create(started_at=timezone.now() - dt.timedelta(minutes=5))
    sweep.done, sweep.timeout_count, sweep.unregistered_count, sweep.inconclusive_count = 400, 398, 398, 2
    FollowUpTask.objects.create(
        campaign=campaign, customer=customer, domain=customer.domains.get(), kind=TaskKind.LEGACY_SPF_INCLUDE
    )
    alert = sweep.compute_alert()
    assert "398 of 400 domains had lookups that timed out" in alert
    assert "This sweep stored 2 as inconclusive, 398 as unregistered" in alert
    assert "since it started, 1 task was opened and 0 closed for this campaign" in alert
    assert "no task was closed" not in alert and "stored as inconclusive" not in alert
