"""`manage.py probe`: JSON lines per the contract, the table, bad input, and no database needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.probe.test_mx import make_campaign
from tests.probe.test_report import CONTRACT_KEYS, DMARC_KEYS, MX_KEYS, SPF_KEYS

ROOT = Path(__file__).resolve().parents[2]
RECORDS = {
    "spf.po.example.net": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
    "spf.securemx.example.org": {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
    "legacy.example": {"MX": [(10, "mx1.po.example.net")], "TXT": ["v=spf1 include:spf.po.example.net -all"]},
    "migrated.example": {
        "MX": [(10, "mx.securemx.example.org")],
        "TXT": ["v=spf1 include:spf.securemx.example.org -all"],
    },
    "xn--bcher-kva.example": {"MX": [(10, "mx.securemx.example.org")]},
}


@pytest.fixture
def campaign_file(tmp_path) -> str:
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(make_campaign().to_dict()))
    return str(path)


@pytest.fixture
def served(dns_server):
    dns_server.set_records(RECORDS)
    return dns_server


def run_probe(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("probe", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_json_lines_follow_the_contract(served, campaign_file):
    out, _ = run_probe(
        "--campaign-file", campaign_file, "--nameserver", served.address, "--json",
        "legacy.example", "Migrated.Example.", "bücher.example",
    )  # fmt: skip
    reports = {data["domain"]: data for data in map(json.loads, out.splitlines())}
    assert set(reports) == {"legacy.example", "migrated.example", "xn--bcher-kva.example"}
    for data in reports.values():
        assert set(data) >= CONTRACT_KEYS
        assert (
            set(data["mx"]) >= MX_KEYS and set(data["spf"]) >= SPF_KEYS and set(data["dmarc"]) >= DMARC_KEYS
        )
    assert reports["legacy.example"]["verdict"] == "legacy"
    assert {r["kind"] for r in reports["legacy.example"]["legacy_references"]} == {"mx", "spf-include"}
    assert reports["migrated.example"]["verdict"] == "clean"
    assert reports["migrated.example"]["on_successor"] is True


def test_the_table_lists_domains_in_input_order_with_a_summary(served, campaign_file):
    out, _ = run_probe(
        "--campaign-file", campaign_file, "--nameserver", served.address, "migrated.example", "legacy.example"
    )
    lines = out.splitlines()
    assert lines[0].startswith("DOMAIN")
    assert lines[1].startswith("migrated.example") and "clean" in lines[1]
    assert lines[2].startswith("legacy.example") and "legacy" in lines[2] and "(+1)" in lines[2]
    assert lines[-1] == "2 domains: 1 legacy, 0 inconclusive, 0 unregistered, 1 clean"


def test_domains_come_from_a_file_too(served, campaign_file, tmp_path):
    listing = tmp_path / "domains.txt"
    listing.write_text("# customers\nlegacy.example\n\nmigrated.example  # moved in May\nlegacy.example\n")
    out, _ = run_probe(
        "--campaign-file",
        campaign_file,
        "--nameserver",
        served.address,
        "--json",
        "--domains-file",
        str(listing),
    )
    assert sorted(json.loads(line)["domain"] for line in out.splitlines()) == [
        "legacy.example",
        "migrated.example",
    ]


def test_invalid_domains_are_reported_and_the_rest_probed(served, campaign_file):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 invalid domain name"):
        call_command(
            "probe", "--campaign-file", campaign_file, "--nameserver", served.address, "--json",
            "legacy.example", "bad..name", stdout=out, stderr=err,
        )  # fmt: skip
    assert "invalid domain name 'bad..name'" in err.getvalue()
    assert json.loads(out.getvalue())["domain"] == "legacy.example"


@pytest.mark.parametrize(
    "args,message",
    [
        (["legacy.example"], "one of the arguments --campaign --campaign-file is required"),
        (["--campaign-file", "/nonexistent.json", "legacy.example"], "No such file"),
        (["--campaign-file", "CAMPAIGN"], "no valid domain"),
        (["--campaign-file", "CAMPAIGN", "--nameserver", "127.0.0.1:99999", "a.example"], "bad port"),
    ],
)
def test_bad_input_is_an_error(campaign_file, args, message):
    args = [campaign_file if arg == "CAMPAIGN" else arg for arg in args]
    with pytest.raises(CommandError, match=message):
        run_probe(*args)


def test_an_invalid_campaign_file_names_the_field(tmp_path):
    path = tmp_path / "campaign.json"
    data = make_campaign().to_dict()
    data["legacy"]["colour"] = "blue"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="legacy.colour: unknown field"):
        run_probe("--campaign-file", str(path), "a.example")


@pytest.mark.django_db
def test_a_stored_campaign_is_loaded_by_slug(served):
    from tracker.models import Campaign

    Campaign.from_contract(make_campaign().to_dict())
    out, _ = run_probe(
        "--campaign", "post-office", "--nameserver", served.address, "--json", "legacy.example"
    )
    assert json.loads(out)["verdict"] == "legacy"
    with pytest.raises(CommandError, match="no campaign with slug 'nope'"):
        run_probe("--campaign", "nope", "legacy.example")


@pytest.mark.django_db
def test_save_stores_reports_like_a_sweep(served, campaign_file):
    from tests.factories import DomainFactory
    from tracker.models import Campaign, Check, DomainState

    Campaign.from_contract(make_campaign().to_dict())
    DomainFactory(name="legacy.example")
    _, err = run_probe(
        "--campaign-file", campaign_file, "--nameserver", served.address, "--json", "--save", "legacy.example"
    )
    assert "saved 1 report(s)" in err
    check = Check.objects.get()
    assert check.verdict == "legacy" and check.report["domain"] == "legacy.example"
    assert DomainState.objects.get().verdict == "legacy"


@pytest.mark.django_db
def test_save_names_domains_it_cannot_store(served, campaign_file):
    from tracker.models import Campaign

    with pytest.raises(CommandError, match="campaign 'post-office' is not in the database"):
        run_probe(
            "--campaign-file", campaign_file, "--nameserver", served.address, "--save", "legacy.example"
        )
    Campaign.from_contract(make_campaign().to_dict())
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 report\\(s\\) not saved"):
        call_command(
            "probe", "--campaign-file", campaign_file, "--nameserver", served.address, "--save",
            "legacy.example", stdout=out, stderr=err,
        )  # fmt: skip
    assert "not saved: legacy.example is not a domain in the database" in err.getvalue()


def test_it_runs_without_a_database(served, campaign_file):
    env = {**os.environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/nonexistent", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "probe", "--campaign-file", campaign_file,
         "--nameserver", served.address, "--timeout", "0.5", "--json", "legacy.example", "migrated.example"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    verdicts = sorted(json.loads(line)["verdict"] for line in result.stdout.splitlines())
    assert verdicts == ["clean", "legacy"]


def test_it_exits_non_zero_on_bad_input_as_a_process(campaign_file):
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "probe", "--campaign-file", campaign_file, "bad..name"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "invalid domain name" in result.stderr


def test_processes_split_the_work(served, campaign_file):
    out, _ = run_probe(
        "--campaign-file", campaign_file, "--nameserver", served.address, "--json", "--processes", "2",
        "legacy.example", "migrated.example",
    )  # fmt: skip
    assert len(out.splitlines()) == 2


# -- every kind of reference in the table ------------------------------------------------------------


def every_kind_records() -> dict:
    from tests.probe.legacy_cast import DOMAIN, LEGACY_PIN, PROVIDERS

    return {
        **PROVIDERS,
        DOMAIN: {"MX": [(10, f"mx.{DOMAIN}")], "TXT": ["v=spf1 include:spf.po.example.net -all"]},
        f"mx.{DOMAIN}": {"A": ["192.0.2.25"]},
        f"_25._tcp.mx.{DOMAIN}": {"TLSA": [(3, 1, 1, LEGACY_PIN)]},
        f"_dmarc.{DOMAIN}": {"TXT": ["v=DMARC1; p=reject; rua=mailto:dmarc@po.example.net"]},
        f"_smtp._tls.{DOMAIN}": {"TXT": ["v=TLSRPTv1; rua=mailto:tlsrpt@po.example.net"]},
        f"_mta-sts.{DOMAIN}": {"TXT": ["v=STSv1; id=1"]},
        f"mta-sts.{DOMAIN}": {"A": ["127.0.0.1"]},
        f"po1._domainkey.{DOMAIN}": {"CNAME": ["po1.dkim.po.example.net"]},
        f"imap.{DOMAIN}": {"CNAME": ["imap.po.example.net"]},
        f"_imaps._tcp.{DOMAIN}": {"SRV": [(0, 1, 993, "imap.po.example.net")]},
    }


def test_the_table_prints_every_reference_with_its_kind_what_it_breaks_and_its_path(
    dns_server, policy_server, tmp_path, settings
):
    from tests.probe.legacy_cast import DOMAIN, full_campaign
    from tests.probe.policy_server import Page

    dns_server.set_records(every_kind_records())
    policy_server.serve(
        f"mta-sts.{DOMAIN}",
        Page(body="version: STSv1\nmode: enforce\nmx: mx.customer.example\nmax_age: 86400\n"),
    )
    settings.PROBE_HTTPS = {"port": policy_server.port, "allow_private": True, "timeout": 2.0}
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(full_campaign().to_dict()))
    out, _ = run_probe(
        "--campaign-file",
        str(path),
        "--nameserver",
        dns_server.address,
        "--ca-file",
        policy_server.ca_file,
        DOMAIN,
    )
    lines = out.splitlines()
    assert lines[1].startswith(DOMAIN) and "legacy" in lines[1]
    rows = [line.split() for line in lines[2:-1]]
    found = {(row[0], row[row.index("breaks") + 1], row[row.index("path") + 1 :][-1]) for row in rows}
    assert found == {
        ("mx-address", "end_date", DOMAIN),
        ("spf-include", "cleanup", DOMAIN),
        ("mta-sts", "mx_move", f"mta-sts.{DOMAIN}"),
        ("tls-rpt", "quiet", f"_smtp._tls.{DOMAIN}"),
        ("dmarc-report", "quiet", f"_dmarc.{DOMAIN}"),
        ("dkim", "end_date", f"po1._domainkey.{DOMAIN}"),
        ("client-host", "end_date", f"imap.{DOMAIN}"),
        ("srv", "end_date", f"_imaps._tcp.{DOMAIN}"),
        ("tlsa", "mx_move", f"_25._tcp.mx.{DOMAIN}"),
    }
    assert f"{DOMAIN} > mta-sts.{DOMAIN}" in out  # the whole path, in order
    assert lines[-1] == "1 domains: 1 legacy, 0 inconclusive, 0 unregistered, 0 clean"


def test_the_json_line_is_the_report_with_every_new_section(dns_server, policy_server, tmp_path, settings):
    from tests.probe.legacy_cast import DOMAIN, full_campaign
    from tests.probe.policy_server import Page

    dns_server.set_records(every_kind_records())
    policy_server.serve(
        f"mta-sts.{DOMAIN}",
        Page(body="version: STSv1\nmode: enforce\nmx: mx.customer.example\nmax_age: 86400\n"),
    )
    settings.PROBE_HTTPS = {
        "port": policy_server.port,
        "allow_private": True,
        "ca_file": policy_server.ca_file,
    }
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(full_campaign().to_dict()))
    out, _ = run_probe("--campaign-file", str(path), "--nameserver", dns_server.address, "--json", DOMAIN)
    data = json.loads(out)
    assert {"checks", "mta_sts", "tls_rpt", "advice", "timing"} <= set(data)
    assert data["mta_sts"]["policy"]["mx"] == ["mx.customer.example"]
    assert {item["kind"] for item in data["advice"]} >= {"mta-sts", "tls-rpt", "dmarc-report", "srv", "tlsa"}


def test_the_table_says_which_checks_the_campaign_skips(served, campaign_file):
    out, _ = run_probe("--campaign-file", campaign_file, "--nameserver", served.address, "legacy.example")
    assert "not checked: mta-sts (the campaign does not list legacy.hosts" in out
    assert "not checked: dkim (the campaign lists no legacy.dkim_selectors)" in out
