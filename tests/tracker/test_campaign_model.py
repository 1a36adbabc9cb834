"""The Campaign model validates its contract fields through the probe engine's parser."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def test_clean_names_the_bad_field():
    campaign = CampaignFactory.build(legacy={"name": "Post Office", "ip_ranges": ["not-a-cidr"]})
    with pytest.raises(ValidationError) as excinfo:
        campaign.full_clean()
    assert "legacy.ip_ranges[0]" in excinfo.value.message_dict["legacy"][0]


def test_clean_stores_the_canonical_form():
    campaign = CampaignFactory.build(legacy={"name": "Post Office", "mx_hosts": ["MX.PO.2iij.NET."]})
    campaign.full_clean()
    assert campaign.legacy["mx_hosts"] == ["mx.po.2iij.net"]
    assert campaign.legacy["ip_ranges"] == []


def test_milestones_must_be_in_order():
    campaign = CampaignFactory.build(
        internal_announcement_date=dt.date(2022, 6, 1), customer_announcement_date=dt.date(2022, 5, 1)
    )
    with pytest.raises(ValidationError) as excinfo:
        campaign.full_clean()
    assert "customer_announcement_date" in excinfo.value.message_dict


def test_cleanup_before_end_is_refused():
    campaign = CampaignFactory.build(cleanup_date=dt.date(2022, 1, 1))
    with pytest.raises(ValidationError) as excinfo:
        campaign.full_clean()
    assert "cleanup_date" in excinfo.value.message_dict


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def admin_form(campaign, **overrides) -> dict:
    data = {
        "slug": campaign.slug,
        "name": campaign.name,
        "active": "on",
        "legacy": json.dumps(campaign.legacy),
        "successor": json.dumps(campaign.successor),
        "internal_announcement_date": "",
        "customer_announcement_date": "",
        "end_date": campaign.end_date.isoformat(),
        "cleanup_date": "",
    }
    data.update(overrides)
    return data


def test_the_admin_saves_reference_fields_in_canonical_form(admin_client):
    campaign = CampaignFactory()
    legacy = dict(campaign.legacy, hosts=["*.PO.2iij.net"], mail_domains=["po.2iij.net"], tlsa=["A" * 64])
    url = reverse("admin:tracker_campaign_change", args=[campaign.pk])
    response = admin_client.post(url, admin_form(campaign, legacy=json.dumps(legacy)))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.legacy["hosts"] == ["*.po.2iij.net"]
    assert campaign.legacy["tlsa"] == ["a" * 64]


def test_the_admin_refuses_an_unknown_field_naming_it(admin_client):
    campaign = CampaignFactory()
    legacy = dict(campaign.legacy, client_hosts={"imap": "imap.po.example"})
    url = reverse("admin:tracker_campaign_change", args=[campaign.pk])
    response = admin_client.post(url, admin_form(campaign, legacy=json.dumps(legacy)))
    assert response.status_code == 200
    assert "legacy.client_hosts: unknown field" in response.content.decode()
