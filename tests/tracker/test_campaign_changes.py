"""Issue 10 item 6: an empty legacy definition is refused; a change that would turn many legacy
domains clean must be confirmed (settings page, admin, `campaign load`) and every change is recorded."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from tests.factories import CampaignFactory, CustomerFactory, DomainFactory, post_office_contract
from tests.tracker.test_history import make_report
from tests.tracker.test_views_campaigns import form_data
from tracker.choices import CampaignChangeSource
from tracker.models import Campaign, CampaignChange
from tracker.probe.campaign import Campaign as ProbeCampaign
from tracker.probe.stored import StoredReference
from tracker.queries.legacy_change import _survives, legacy_change_impact
from tracker.services.sweeps import check_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(db):
    return CampaignFactory(legacy=dict(post_office_contract()["legacy"], mx_hosts=["*.po.2iij.net"]))


def legacy_domains(campaign, spf_only: int, mx_only: int) -> None:
    """Store checks: `spf_only` domains legacy by an SPF include, `mx_only` by an MX host."""
    customer = CustomerFactory()
    with transaction.atomic():
        for i in range(spf_only + mx_only):
            domain = DomainFactory(customer=customer, name=f"d{i}.example")
            report = make_report(domain.name)
            if i >= spf_only:
                report["legacy_references"] = [
                    {"kind": "mx", "value": "mx1.po.2iij.net", "path": [domain.name]}
                ]
            check_store(campaign, domain, report)


def contract_without_spf(campaign) -> dict:
    data = campaign.to_contract()
    data["legacy"]["spf_includes"] = []
    return data


def write(tmp_path, data) -> str:
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(data))
    return str(path)


# -- empty legacy definitions ------------------------------------------------------------------------


def test_the_settings_page_refuses_an_empty_legacy_definition(ops_client, campaign):
    data = form_data(
        legacy_mx_hosts="", legacy_spf_includes="", legacy_ip_ranges="", legacy_outbound_ips="192.0.2.25"
    )
    response = ops_client.post("/campaigns/post-office/edit/", data)
    assert response.status_code == 400
    assert "lists no MX host pattern, SPF include or IP range" in " ".join(
        response.context["form"].errors["legacy_mx_hosts"]
    )
    campaign.refresh_from_db()
    assert campaign.legacy["spf_includes"] == ["spf.po.2iij.net"]


def test_campaign_load_refuses_an_empty_legacy_definition(tmp_path):
    data = post_office_contract()
    data["legacy"].update(mx_hosts=[], spf_includes=[], ip_ranges=[])
    with pytest.raises(CommandError, match="legacy: lists no MX host pattern, SPF include or IP range"):
        call_command("campaign", "load", write(tmp_path, data), stdout=StringIO())
    assert not Campaign.objects.exists()


def test_the_admin_refuses_an_empty_legacy_definition(client, superuser, campaign):
    client.force_login(superuser)
    legacy = dict(campaign.legacy, mx_hosts=[], spf_includes=[], ip_ranges=[])
    response = client.post(
        reverse("admin:tracker_campaign_change", args=[campaign.pk]),
        {
            "slug": campaign.slug,
            "name": campaign.name,
            "active": "on",
            "legacy": json.dumps(legacy),
            "successor": json.dumps(campaign.successor),
            "end_date": campaign.end_date.isoformat(),
        },
    )
    assert response.status_code == 200
    assert "lists no MX host pattern, SPF include or IP range" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.legacy["mx_hosts"] == ["*.po.2iij.net"]


# -- changes that turn legacy domains clean ----------------------------------------------------------


def test_the_impact_counts_domains_whose_every_reference_is_lost(campaign):
    legacy_domains(campaign, spf_only=8, mx_only=2)
    impact = legacy_change_impact(campaign, ProbeCampaign.from_dict(contract_without_spf(campaign)))
    assert (impact.legacy_domains, impact.turning_clean) == (10, 8)
    assert impact.needs_confirmation and impact.examples[0] == "d0.example"
    # A wider pattern keeps every reference: nothing turns clean.
    wider = campaign.to_contract()
    wider["legacy"]["mx_hosts"] = ["*.2iij.net"]
    assert legacy_change_impact(campaign, ProbeCampaign.from_dict(wider)).turning_clean == 0


def test_the_settings_page_asks_for_confirmation_then_records_the_change(ops_client, ops_user, campaign):
    legacy_domains(campaign, spf_only=8, mx_only=2)
    data = form_data(legacy_mx_hosts="*.po.2iij.net", legacy_spf_includes="", legacy_ip_ranges="")
    response = ops_client.post("/campaigns/post-office/edit/", data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "would turn 8 of the 10 legacy domains (80%) clean" in text and "d0.example" in text
    assert 'name="confirm_legacy_change"' in text
    campaign.refresh_from_db()
    assert campaign.legacy["spf_includes"] == ["spf.po.2iij.net"]
    assert not CampaignChange.objects.exists()

    response = ops_client.post("/campaigns/post-office/edit/", dict(data, confirm_legacy_change="on"))
    assert response.status_code == 302
    change = CampaignChange.objects.get()
    assert (change.changed_by, change.source, change.confirmed) == (ops_user, CampaignChangeSource.FORM, True)
    assert (change.legacy_domains, change.turning_clean) == (10, 8)
    assert (
        change.legacy_before["spf_includes"] == ["spf.po.2iij.net"]
        and change.legacy_after["spf_includes"] == []
    )
    page = ops_client.get("/campaigns/post-office/edit/").content.decode()
    assert "Changes of the service definitions" in page and "8 of 10" in page


def test_a_small_change_needs_no_confirmation_but_is_recorded(ops_client, campaign):
    legacy_domains(campaign, spf_only=1, mx_only=19)
    data = form_data(legacy_mx_hosts="*.po.2iij.net", legacy_spf_includes="", legacy_ip_ranges="")
    assert ops_client.post("/campaigns/post-office/edit/", data).status_code == 302
    change = CampaignChange.objects.get()
    assert (change.turning_clean, change.legacy_domains, change.confirmed) == (1, 20, False)


def test_the_share_is_a_setting(ops_client, campaign, settings):
    settings.LEGACY_CHANGE_CONFIRM_SHARE = 0.9
    legacy_domains(campaign, spf_only=8, mx_only=2)
    data = form_data(legacy_mx_hosts="*.po.2iij.net", legacy_spf_includes="", legacy_ip_ranges="")
    assert ops_client.post("/campaigns/post-office/edit/", data).status_code == 302


def test_campaign_load_needs_the_confirm_flag(tmp_path, campaign):
    legacy_domains(campaign, spf_only=8, mx_only=2)
    path = write(tmp_path, contract_without_spf(campaign))
    with pytest.raises(
        CommandError, match="would turn 8 of the 10 legacy domains .* --confirm-legacy-change"
    ):
        call_command("campaign", "load", path, stdout=StringIO())
    campaign.refresh_from_db()
    assert campaign.legacy["spf_includes"] == ["spf.po.2iij.net"]
    call_command("campaign", "load", path, "--confirm-legacy-change", stdout=StringIO())
    campaign.refresh_from_db()
    assert campaign.legacy["spf_includes"] == []
    change = CampaignChange.objects.get()
    assert (change.source, change.confirmed, change.changed_by) == (CampaignChangeSource.LOAD, True, None)


def test_loading_a_new_campaign_records_its_definition(tmp_path):
    call_command("campaign", "load", write(tmp_path, post_office_contract()), stdout=StringIO())
    change = CampaignChange.objects.get()
    assert change.legacy_before is None and change.legacy_after["mx_hosts"] == ["*.po.2iij.net"]
    # Loading the same file again changes nothing and records nothing.
    call_command("campaign", "load", write(tmp_path, post_office_contract()), stdout=StringIO())
    assert CampaignChange.objects.count() == 1


def test_the_admin_asks_for_confirmation_then_records_the_change(client, superuser, campaign):
    legacy_domains(campaign, spf_only=8, mx_only=2)
    client.force_login(superuser)
    data = {
        "slug": campaign.slug,
        "name": campaign.name,
        "active": "on",
        "legacy": json.dumps(dict(campaign.legacy, spf_includes=[])),
        "successor": json.dumps(campaign.successor),
        "end_date": campaign.end_date.isoformat(),
    }
    url = reverse("admin:tracker_campaign_change", args=[campaign.pk])
    response = client.post(url, data)
    assert (
        response.status_code == 200 and "would turn 8 of the 10 legacy domains" in response.content.decode()
    )
    assert client.post(url, dict(data, confirm_legacy_change="on")).status_code == 302
    change = CampaignChange.objects.get()
    assert (change.source, change.changed_by, change.confirmed) == (
        CampaignChangeSource.ADMIN,
        superuser,
        True,
    )


@pytest.mark.parametrize(
    "kind, value, change, survives",
    [
        ("client-host", "mail.acme.example -> pop.po.example", {"hosts": ["pop.po.example"]}, True),
        ("client-host", "mail.acme.example -> pop.po.example", {"hosts": []}, False),
        ("client-host", "mail.acme.example (192.0.2.7)", {"hosts": [], "ip_ranges": ["192.0.2.0/24"]}, True),
        ("srv", "_imap._tcp.acme.example -> imap.po.example:143", {"hosts": ["*.po.example"]}, True),
        ("srv", "_imap._tcp.acme.example -> imap.po.example:143", {"hosts": ["*.other.example"]}, False),
        ("dmarc-report", "rua=mailto:d@po-mail.example", {"mail_domains": ["po-mail.example"]}, True),
        ("dmarc-report", "rua=mailto:d@po-mail.example", {"mail_domains": ["x.example"]}, False),
        ("dkim", "po1._domainkey.acme.example -> po1.dkim.po.example", {"dkim_selectors": ["po2"]}, False),
        ("tlsa", "_25._tcp.mx.acme.example TLSA 3 1 1 " + "a" * 64, {"tlsa": ["a" * 64, "b" * 64]}, True),
        ("tlsa", "_25._tcp.mx.acme.example TLSA 3 1 1 " + "a" * 64, {"tlsa": ["b" * 64]}, False),
        ("mta-sts", "mx: *.po.2iij.net", {"mail_domains": ["x.example"]}, True),  # unrelated field changed
        ("mta-sts", "mx: *.po.2iij.net", {"hosts": ["x.po.example"]}, False),  # cannot tell: counted as lost
        ("spf-ip", "192.0.2.0/25", {"ip_ranges": ["192.0.2.0/24"]}, True),
        ("spf-ip", "192.0.2.0/25", {"ip_ranges": ["198.51.100.0/24"]}, False),
    ],
)
def test_other_kinds_are_matched_again_from_their_value(kind, value, change, survives):
    old = dict(
        post_office_contract()["legacy"],
        hosts=["*.po.example"],
        mail_domains=["po-mail.example"],
        dkim_selectors=["po1"],
        tlsa=["a" * 64],
        ip_ranges=["192.0.2.0/24"],
    )
    new = ProbeCampaign.from_dict(post_office_contract(legacy=dict(old, **change))).legacy
    changed = {key for key in change if old.get(key) != change[key]}
    assert _survives(StoredReference(kind, value, ("acme.example",)), new, changed) is survives
