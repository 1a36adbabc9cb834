"""/campaigns/ and /campaigns/<slug>/edit/: ops only, validated by the probe engine's parser."""

import datetime as dt

import pytest

from tests.factories import CampaignFactory


@pytest.fixture
def campaign(db):
    return CampaignFactory()


def form_data(**overrides):
    data = {
        "name": "Post Office to Secure MX",
        "active": "on",
        "end_date": "2027-03-31",
        "cleanup_date": "2027-06-30",
        "internal_announcement_date": "",
        "customer_announcement_date": "",
        "legacy_name": "Post Office",
        "legacy_mx_hosts": "*.po.2iij.net\nMX2.PO.2IIJ.NET.\n",
        "legacy_spf_includes": "spf.po.2iij.net",
        "legacy_ip_ranges": "192.0.2.0/24",
        "legacy_outbound_ips": "",
        "successor_name": "Secure MX",
        "successor_mx_hosts": "",
        "successor_spf_includes": "spf.securemx.example",
        "successor_ip_ranges": "",
        "successor_outbound_ips": "198.51.100.7",
        "successor_dkim_selectors": "smx1",
    }
    data.update(overrides)
    return data


def test_it_requires_login(client, campaign):
    assert client.get("/campaigns/post-office/edit/").status_code == 302


@pytest.mark.parametrize("path", ["/campaigns/", "/campaigns/post-office/edit/"])
def test_it_is_forbidden_to_reps(rep_client, campaign, path):
    assert rep_client.get(path).status_code == 403
    assert rep_client.post("/campaigns/post-office/edit/", form_data()).status_code == 403


def test_ops_see_the_list(ops_client, campaign):
    response = ops_client.get("/campaigns/")
    assert b"Post Office to Secure MX" in response.content


def test_the_form_shows_lists_one_per_line(ops_client, campaign):
    campaign.legacy["mx_hosts"] = ["*.po.2iij.net", "mx.po.example"]
    campaign.save()
    text = ops_client.get("/campaigns/post-office/edit/").content.decode()
    assert "*.po.2iij.net\nmx.po.example</textarea>" in text


def test_ops_save_the_settings_in_canonical_form(ops_client, campaign):
    response = ops_client.post("/campaigns/post-office/edit/", form_data())
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.end_date == dt.date(2027, 3, 31)
    assert campaign.legacy["mx_hosts"] == ["*.po.2iij.net", "mx2.po.2iij.net"]
    assert campaign.successor["outbound_ips"] == ["198.51.100.7"]
    assert campaign.successor["dkim_selectors"] == ["smx1"]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("legacy_ip_ranges", "not-a-network", "legacy.ip_ranges[0]"),
        ("successor_outbound_ips", "198.51.100.7\n300.1.1.1", "successor.outbound_ips[1]"),
        ("legacy_mx_hosts", "bad host!", "legacy.mx_hosts[0]"),
        ("cleanup_date", "2027-01-01", "cleanup_date: must not be before end_date"),
    ],
)
def test_errors_name_the_field(ops_client, campaign, field, value, message):
    response = ops_client.post("/campaigns/post-office/edit/", form_data(**{field: value}))
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    campaign.refresh_from_db()
    assert campaign.end_date == dt.date(2022, 9, 30)


def test_milestone_order_is_checked(ops_client, campaign):
    data = form_data(internal_announcement_date="2026-05-01", customer_announcement_date="2026-04-01")
    response = ops_client.post("/campaigns/post-office/edit/", data)
    assert response.status_code == 400
    assert "customer_announcement_date" in response.context["form"].errors
