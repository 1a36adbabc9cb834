"""/campaigns/ and /campaigns/<slug>/edit/: ops only, validated by the probe engine's parser."""

import datetime as dt

import pytest
from django import forms

from tests.factories import CampaignFactory, post_office_contract
from tracker.models import Campaign


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


# -- the fields for the other DNS references (issue 13) ---------------------------------------------


def reference_contract() -> dict:
    """A campaign that lists every optional field for the other references, in canonical form."""
    data = post_office_contract(cleanup_date="2023-03-31")
    data["legacy"].update(
        hosts=["*.po.2iij.net", "webmail.po.example"],
        mail_domains=["po.2iij.net"],
        dkim_selectors=["po1"],
        tlsa=["a" * 64],
    )
    data["successor"].update(
        mx_hosts=["*.securemx.example"],
        dkim_selectors=["smx1"],
        hosts=["*.securemx.example"],
        tlsa=["3 1 1 " + "b" * 64],
        client_hosts={"imap": "imap.securemx.example", "submission": "smtp.securemx.example"},
        dmarc_rua=["mailto:dmarc@reports.securemx.example"],
        tlsrpt_rua=["mailto:tlsrpt@reports.securemx.example", "https://reports.securemx.example/tls"],
    )
    return data


def initial_post_data(response) -> dict:
    """What the browser would send back for the form as shown, untouched."""
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return data


def test_the_form_round_trips_every_reference_field(ops_client):
    campaign, _ = Campaign.from_contract(reference_contract())
    before = campaign.to_contract()
    response = ops_client.get("/campaigns/post-office/edit/")
    assert "imap: imap.securemx.example\nsubmission: smtp.securemx.example</textarea>" in (
        response.content.decode()
    )
    assert ops_client.post("/campaigns/post-office/edit/", initial_post_data(response)).status_code == 302
    campaign.refresh_from_db()
    assert campaign.to_contract() == before == reference_contract()


def test_new_reference_fields_are_saved_in_canonical_form(ops_client, campaign):
    data = form_data(
        legacy_hosts="*.PO.2iij.net",
        legacy_mail_domains="po.2iij.net",
        legacy_dkim_selectors="PO1",
        successor_client_hosts="IMAP: imap.securemx.example",
        successor_dmarc_rua="mailto:dmarc@reports.securemx.example",
    )
    assert ops_client.post("/campaigns/post-office/edit/", data).status_code == 302
    campaign.refresh_from_db()
    assert campaign.legacy["hosts"] == ["*.po.2iij.net"]
    assert campaign.legacy["mail_domains"] == ["po.2iij.net"]
    assert campaign.legacy["dkim_selectors"] == ["po1"]
    assert campaign.successor["client_hosts"] == {"imap": "imap.securemx.example"}
    assert campaign.successor["dmarc_rua"] == ["mailto:dmarc@reports.securemx.example"]
    # Empty optional boxes stay absent: their checks stay off and the dump does not grow.
    assert "tlsa" not in campaign.legacy and "tlsrpt_rua" not in campaign.successor


def test_an_empty_box_keeps_an_empty_list_that_was_stored(ops_client, campaign):
    campaign.legacy["hosts"] = []  # present but empty: check with the MX patterns only
    campaign.save()
    assert ops_client.post("/campaigns/post-office/edit/", form_data()).status_code == 302
    campaign.refresh_from_db()
    assert campaign.legacy["hosts"] == []


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("successor_client_hosts", "imap imap.securemx.example", "successor.client_hosts: 'imap imap"),
        (
            "successor_client_hosts",
            "ftp: ftp.securemx.example",
            "successor.client_hosts.ftp: unknown service",
        ),
        ("successor_dmarc_rua", "dmarc@securemx.example", "successor.dmarc_rua[0]"),
        ("legacy_tlsa", "abc", "legacy.tlsa[0]"),
        ("successor_tlsa", "a" * 64, "successor.tlsa[0]"),
        ("legacy_hosts", "bad host!", "legacy.hosts[0]"),
    ],
)
def test_reference_field_errors_name_the_field(ops_client, campaign, field, value, message):
    response = ops_client.post("/campaigns/post-office/edit/", form_data(**{field: value}))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
