"""The Campaign model validates its contract fields through the probe engine's parser."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

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
