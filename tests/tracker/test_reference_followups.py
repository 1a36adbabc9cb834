"""Issue 13 item 4: a follow-up task per reference kind, from the test DNS server through a sweep
(MTA-STS: the engine with a real HTTPS policy server) to the rules, the task and the rep's page;
the task shows the engine's verified change, or says what to change when none could be verified,
and closes when DNS shows the fix."""

import asyncio

import pytest
from django.db import transaction

from tests import conftest_celery
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.probe import conftest as probe_conftest
from tests.probe.legacy_cast import DOMAIN, LEGACY_PIN, MIGRATED, full_campaign, serve
from tests.probe.policy_server import Page
from tests.probe.test_mta_sts import HOST, LEGACY_MX, policy
from tracker.choices import TaskKind, TaskStatus, Verdict
from tracker.models import DomainState, FollowUpTask
from tracker.probe.engine import probe_domain
from tracker.probe.resolver import Resolver
from tracker.services.sweeps import check_store, sweep_run_sync, sweep_start

sweep_dns = conftest_celery.sweep_dns
policy_server = probe_conftest.policy_server
policy_server_session = probe_conftest.policy_server_session
pytestmark = pytest.mark.django_db

OWN_MX = {DOMAIN: {"MX": [(10, f"mx.{DOMAIN}")]}, f"mx.{DOMAIN}": {"A": ["198.51.100.25"]}}


@pytest.fixture
def campaign(db):
    contract = full_campaign().to_dict()
    return CampaignFactory(legacy=contract["legacy"], successor=contract["successor"])


@pytest.fixture
def domain(rep):
    return DomainFactory(customer=CustomerFactory(rep=rep), name=DOMAIN)


def sweep(campaign, domain):
    return sweep_run_sync(sweep_start(campaign, [domain], enqueue=False))


def task_of(kind) -> FollowUpTask:
    return FollowUpTask.objects.get(kind=kind)


CASES = {
    "tls-rpt": (
        TaskKind.LEGACY_TLS_RPT,
        {f"_smtp._tls.{DOMAIN}": {"TXT": ["v=TLSRPTv1; rua=mailto:tlsrpt@po.example.net"]}},
        "v=TLSRPTv1; rua=mailto:tlsrpt@reports.securemx.example.org",
    ),
    "dmarc-report": (
        TaskKind.LEGACY_DMARC_REPORT,
        {f"_dmarc.{DOMAIN}": {"TXT": ["v=DMARC1; p=reject; rua=mailto:d@po.example.net"]}},
        "rua=mailto:dmarc@reports.securemx.example.org",
    ),
    "dkim": (
        TaskKind.LEGACY_DKIM,
        {
            f"po1._domainkey.{DOMAIN}": {"CNAME": ["po1.dkim.po.example.net"]},
            "po1.dkim.po.example.net": {"TXT": ["v=DKIM1; k=rsa; p=MIIBIjAN"]},
        },
        None,
    ),
    "client-host": (
        TaskKind.LEGACY_CLIENT_HOST,
        {f"imap.{DOMAIN}": {"CNAME": ["imap.po.example.net"]}},
        "imap.securemx.example.org",
    ),
    "srv": (
        TaskKind.LEGACY_SRV,
        {f"_imaps._tcp.{DOMAIN}": {"SRV": [(0, 1, 993, "imap.po.example.net")]}},
        "imap.securemx.example.org",
    ),
    "tlsa": (
        TaskKind.LEGACY_TLSA,
        {**OWN_MX, f"_25._tcp.mx.{DOMAIN}": {"TLSA": [(3, 1, 1, LEGACY_PIN)]}},
        None,
    ),
}


@pytest.mark.parametrize("reference_kind", list(CASES))
def test_each_kind_opens_a_task_with_its_change_and_closes_when_dns_is_fixed(
    sweep_dns, campaign, domain, rep_client, reference_kind
):
    kind, records, expected = CASES[reference_kind]
    serve(sweep_dns, records)
    sweep(campaign, domain)
    task = task_of(kind)
    assert task.status == TaskStatus.OPEN and task.assignee == domain.customer.rep
    evidence = task.evidence
    assert evidence["reference_kind"] == reference_kind and evidence["references"]
    assert all(ref["breaks"] for ref in evidence["references"])
    assert evidence["advice"], "the engine's advice (verified or withheld) reaches the task"
    for item in evidence["advice"]:
        assert (item["suggested"] is None) == (item["withheld"] is not None)
    if expected:
        offered = [line for item in evidence["advice"] if item["suggested"] for line in item["suggested"]]
        assert any(expected in line for line in offered)

    page = rep_client.get("/tasks/").content.decode()
    assert f'data-reference-kind="{reference_kind}"' in page
    assert evidence["references"][0]["value"].split(" ")[0] in page
    if expected:
        assert 'class="dns-record verified-advice"' in page and expected in page

    serve(sweep_dns, {} if reference_kind != "tlsa" else OWN_MX)
    sweep(campaign, domain)
    task.refresh_from_db()
    assert task.status == TaskStatus.AUTO_CLOSED


def test_a_failed_lookup_never_closes_the_task(sweep_dns, campaign, domain):
    serve(sweep_dns, CASES["srv"][1])
    sweep(campaign, domain)
    serve(sweep_dns, {})
    sweep_dns.set_fault(f"_imaps._tcp.{DOMAIN}", "timeout")
    sweep(campaign, domain)
    assert task_of(TaskKind.LEGACY_SRV).is_active


def test_a_kind_the_campaign_does_not_check_opens_no_task_and_closes_none(sweep_dns, rep, domain):
    contract = full_campaign().to_dict()
    del contract["legacy"]["tlsa"]
    campaign = CampaignFactory(legacy=contract["legacy"], successor=contract["successor"])
    serve(sweep_dns, {**OWN_MX, f"_25._tcp.mx.{DOMAIN}": {"TLSA": [(3, 1, 1, LEGACY_PIN)]}})
    sweep(campaign, domain)
    assert not FollowUpTask.objects.filter(kind=TaskKind.LEGACY_TLSA).exists()


def test_mta_sts_task_gives_the_policy_and_the_order_of_work(
    dns_server, policy_server, campaign, domain, rep_client
):
    serve(
        dns_server,
        {f"_mta-sts.{DOMAIN}": {"TXT": ["v=STSv1; id=20240101"]}, HOST: {"A": ["127.0.0.1"]}},
        base=LEGACY_MX,
    )
    policy_server.serve(HOST, Page(body=policy("*.po.example.net")))
    resolver = Resolver([dns_server.address], timeout=2.0, attempts=2)
    report = asyncio.run(probe_domain(full_campaign(), DOMAIN, resolver, https=policy_server.options()))
    with transaction.atomic():
        check_store(campaign, domain, report.to_json())
    task = task_of(TaskKind.LEGACY_MTA_STS)
    evidence = task.evidence
    assert [ref["breaks"] for ref in evidence["references"]] == ["mx_move"]
    policy_item, txt_item = evidence["advice"]
    assert policy_item["type"] == "policy" and policy_item["when"] == "before_mx_move"
    assert "mx: *.securemx.example.org" in policy_item["suggested"][0]
    assert txt_item["type"] == "TXT" and "id=20240101" not in txt_item["suggested"][0]
    assert evidence["mx_move_not_before"] == report.to_json()["timing"]["mx_move_not_before"][:10]
    page = rep_client.get("/tasks/").content.decode()
    assert "Order matters" in page and evidence["mx_move_not_before"] in page
    assert "mx: *.securemx.example.org" in page

    serve(dns_server, {}, base=MIGRATED)  # no MTA-STS at all any more, MX on the successor
    resolver = Resolver([dns_server.address], timeout=2.0, attempts=2)
    report = asyncio.run(probe_domain(full_campaign(), DOMAIN, resolver, https=policy_server.options()))
    with transaction.atomic():
        check_store(campaign, domain, report.to_json())
    task.refresh_from_db()
    assert task.status == TaskStatus.AUTO_CLOSED


def test_a_sweep_fetches_mta_sts_with_the_configured_ca_and_opens_the_task(
    sweep_dns, policy_server, campaign, domain, settings
):
    """The sweep, not only the engine, fetches the policy over HTTPS with MTA_STS_CA_FILE (the test's CA)."""
    options = policy_server.options()
    settings.MTA_STS_CA_FILE = options.ca_file
    settings.PROBE_HTTPS = {"port": options.port, "timeout": options.timeout, "allow_private": True}
    serve(
        sweep_dns,
        {f"_mta-sts.{DOMAIN}": {"TXT": ["v=STSv1; id=20240101"]}, HOST: {"A": ["127.0.0.1"]}},
        base=LEGACY_MX,
    )
    policy_server.serve(HOST, Page(body=policy("*.po.example.net")))
    sweep(campaign, domain)
    assert policy_server.requests, "the sweep fetched no policy"
    task = task_of(TaskKind.LEGACY_MTA_STS)
    assert "mx: *.securemx.example.org" in task.evidence["advice"][0]["suggested"][0]


def test_a_sweep_without_the_private_ca_never_trusts_the_policy(
    sweep_dns, policy_server, campaign, domain, settings
):
    """System CAs only: the test CA's certificate is refused, the domain is inconclusive, never clean."""
    options = policy_server.options()
    settings.MTA_STS_CA_FILE = None
    settings.PROBE_HTTPS = {"port": options.port, "timeout": options.timeout, "allow_private": True}
    serve(
        sweep_dns,
        {f"_mta-sts.{DOMAIN}": {"TXT": ["v=STSv1; id=20240101"]}, HOST: {"A": ["127.0.0.1"]}},
        base=MIGRATED,
    )
    policy_server.serve(HOST, Page(body=policy("*.po.example.net")))
    sweep(campaign, domain)
    state = DomainState.objects.select_related("latest_check").get(campaign=campaign, domain=domain)
    assert state.verdict == Verdict.INCONCLUSIVE
    assert "certificate not trusted" in state.latest_check.report["mta_sts"]["error"]
