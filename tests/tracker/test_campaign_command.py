"""`manage.py campaign load/dump`: the JSON contract round trip and its errors."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import post_office_contract
from tracker.management.commands.campaign import dumps
from tracker.models import Campaign
from tracker.probe.campaign import Campaign as ProbeCampaign

pytestmark = pytest.mark.django_db


# The example of docs/campaign-file.md, verbatim.
DESIGN_TEXT = """\
{
  "slug": "post-office",
  "name": "Post Office to Secure MX",
  "legacy": {
    "name": "Post Office",
    "mx_hosts": ["*.po.2iij.net"],
    "spf_includes": ["spf.po.2iij.net"],
    "ip_ranges": [],
    "outbound_ips": []
  },
  "successor": {
    "name": "Secure MX",
    "mx_hosts": [],
    "spf_includes": [],
    "ip_ranges": [],
    "outbound_ips": [],
    "dkim_selectors": []
  },
  "end_date": "2022-09-30",
  "cleanup_date": null
}
"""


def write(tmp_path, data, name="campaign.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else dumps(data))
    return str(path)


def run(*args) -> str:
    out = StringIO()
    call_command("campaign", *args, stdout=out)
    return out.getvalue()


def full_contract() -> dict:
    data = post_office_contract(cleanup_date="2023-03-31")
    data["legacy"]["ip_ranges"] = ["192.0.2.0/24", "2001:db8::/32"]
    data["legacy"]["outbound_ips"] = ["192.0.2.25"]
    data["successor"].update(
        mx_hosts=["mx1.securemx.example", "*.mx.securemx.example"],
        spf_includes=["spf.securemx.example"],
        ip_ranges=["198.51.100.0/24"],
        outbound_ips=["198.51.100.10", "2001:db8:5::10"],
        dkim_selectors=["smx1"],
    )
    return data


def reference_contract() -> dict:
    """full_contract() plus every field for the other DNS references (issue 13)."""
    data = full_contract()
    data["legacy"].update(
        dkim_selectors=["po1", "po2"],
        hosts=["*.po.2iij.net", "pop.po.example"],
        mail_domains=["po.2iij.net", "*.po-mail.example"],
        tlsa=["c" * 64, "1 1 2 " + "d" * 128],
    )
    data["successor"].update(
        hosts=["*.securemx.example"],
        tlsa=["3 1 1 " + "e" * 64],
        client_hosts={"imap": "imap.securemx.example", "webmail": "mail.securemx.example"},
        dmarc_rua=["mailto:rua@reports.securemx.example"],
        tlsrpt_rua=["https://reports.securemx.example/tlsrpt"],
    )
    return data


@pytest.mark.parametrize(
    "contract", [DESIGN_TEXT, full_contract(), reference_contract()], ids=["design", "full", "references"]
)
def test_it_round_trips_the_file_byte_for_byte(tmp_path, contract):
    path = write(tmp_path, contract)
    assert "Created campaign 'post-office'" in run("load", path)
    assert run("dump", "post-office") == open(path).read()


def test_a_differently_formatted_file_round_trips_as_the_same_json(tmp_path):
    path = write(tmp_path, json.dumps(full_contract()))
    run("load", path)
    assert json.loads(run("dump", "post-office")) == full_contract()


def test_it_updates_an_existing_campaign_and_keeps_milestones(tmp_path):
    run("load", write(tmp_path, post_office_contract()))
    Campaign.objects.filter(slug="post-office").update(active=False, customer_announcement_date="2022-06-01")
    assert "Updated" in run("load", write(tmp_path, full_contract()))
    campaign = Campaign.objects.get()
    assert campaign.successor["dkim_selectors"] == ["smx1"]
    assert not campaign.active
    assert str(campaign.customer_announcement_date) == "2022-06-01"


def test_to_probe_returns_the_engine_campaign(tmp_path):
    run("load", write(tmp_path, full_contract()))
    probe = Campaign.objects.get().to_probe()
    assert isinstance(probe, ProbeCampaign)
    assert probe.legacy.matches_mx_host("mx3.po.2iij.net")
    assert probe.successor.contains_address("198.51.100.7")
    assert probe == ProbeCampaign.from_dict(full_contract())


@pytest.mark.parametrize(
    "mutate,field",
    [
        (lambda d: d.update(owner="ops"), "owner: unknown field"),
        (lambda d: d["legacy"].update(colour="red"), "legacy.colour: unknown field"),
        (
            lambda d: d["legacy"].update(ip_ranges=["192.0.2.0/33"]),
            "legacy.ip_ranges[0]: '192.0.2.0/33' is not a CIDR",
        ),
        (lambda d: d["successor"].update(outbound_ips=["1.2.3"]), "successor.outbound_ips[0]"),
        (lambda d: d["legacy"].update(mx_hosts=["*.po.2iij.net", "bad host"]), "legacy.mx_hosts[1]"),
        (lambda d: d["legacy"].update(spf_includes=["spf..po.example"]), "legacy.spf_includes[0]"),
        (lambda d: d.update(end_date="30/09/2022"), "end_date"),
        (lambda d: d["legacy"].update(client_hosts={}), "legacy.client_hosts: unknown field"),
        (lambda d: d["successor"].update(mail_domains=[]), "successor.mail_domains: unknown field"),
        (lambda d: d["legacy"].update(tlsa=["zz"]), "legacy.tlsa[0]"),
        (lambda d: d["successor"].update(client_hosts={"ftp": "x.example"}), "successor.client_hosts.ftp"),
    ],
)
def test_it_refuses_bad_files_naming_the_field(tmp_path, mutate, field):
    data = post_office_contract()
    mutate(data)
    with pytest.raises(CommandError) as excinfo:
        run("load", write(tmp_path, data))
    assert field in str(excinfo.value)
    assert not Campaign.objects.exists()


def test_a_reference_campaign_reaches_the_engine_with_its_checks_on(tmp_path):
    run("load", write(tmp_path, reference_contract()))
    probe = Campaign.objects.get().to_probe()
    assert probe.legacy.matches_host("pop.po.example")
    assert probe.legacy.matches_mail_domain("x.po-mail.example")
    assert probe.successor.client_host("webmail") == "mail.securemx.example"


def test_it_refuses_invalid_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{")
    with pytest.raises(CommandError, match="not valid JSON"):
        run("load", str(path))


def test_dump_of_an_unknown_slug_is_an_error():
    with pytest.raises(CommandError, match="No campaign"):
        run("dump", "nope")
