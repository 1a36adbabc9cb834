"""Issue 13 item 5: references by kind and by what they break on the domain page, the domain list
filters, the rep's "blocks the MX move" list and the dashboard panel, from real sweeps of the
test DNS server."""

import pytest

from tests import conftest_celery
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.probe.legacy_cast import DOMAIN, LEGACY_PIN, full_campaign, serve
from tracker.services.sweeps import sweep_run_sync, sweep_start

sweep_dns = conftest_celery.sweep_dns
pytestmark = pytest.mark.django_db

OTHER = "bobcat-logistics.example"


def own_mx_with_legacy_pin(domain: str) -> dict:
    return {
        domain: {"MX": [(10, f"mx.{domain}")]},
        f"mx.{domain}": {"A": ["198.51.100.25"]},
        f"_25._tcp.mx.{domain}": {"TLSA": [(3, 1, 1, LEGACY_PIN)]},
    }


@pytest.fixture
def campaign(db):
    contract = full_campaign().to_dict()
    return CampaignFactory(legacy=contract["legacy"], successor=contract["successor"])


@pytest.fixture
def swept(sweep_dns, campaign, rep, other_rep):
    """The rep's domain: a legacy TLSA (blocks the MX move) and an SRV record (stops at the end date);
    another rep's domain: a legacy TLSA; a third domain whose lookups time out."""
    mine = DomainFactory(customer=CustomerFactory(rep=rep, name="Acme Widgets"), name=DOMAIN)
    theirs = DomainFactory(customer=CustomerFactory(rep=other_rep, name="Bobcat Logistics"), name=OTHER)
    broken = DomainFactory(customer=CustomerFactory(rep=rep), name="timeout.example")
    serve(
        sweep_dns,
        {
            **own_mx_with_legacy_pin(DOMAIN),
            f"_imaps._tcp.{DOMAIN}": {"SRV": [(0, 1, 993, "imap.po.example.net")]},
            **own_mx_with_legacy_pin(OTHER),
            f"{OTHER}": {
                "MX": [(10, f"mx.{OTHER}")],
                "TXT": ["v=spf1 include:spf.securemx.example.org -all"],
            },
        },
    )
    sweep_dns.set_fault("timeout.example", "timeout")
    sweep_run_sync(sweep_start(campaign, [mine, theirs, broken], enqueue=False))
    return mine, theirs, broken


def test_the_domain_page_groups_references_by_kind_and_by_what_breaks(rep_client, swept):
    mine, _, _ = swept
    page = rep_client.get(f"/domains/{mine.pk}/").content.decode()
    section = page[page.index('id="references-by-kind"') :]
    assert 'data-kind="tlsa"' in section and 'data-kind="srv"' in section
    assert 'data-breaks="mx_move"' in section and "Blocks the MX move: 1" in section
    assert 'data-breaks="end_date"' in section
    assert f"_25._tcp.mx.{DOMAIN} TLSA 3 1 1 {LEGACY_PIN}" in section
    assert 'data-check="srv"' in section


def test_the_domain_page_says_unknown_for_failed_lookups(ops_client, swept):
    _, _, broken = swept
    page = ops_client.get(f"/domains/{broken.pk}/").content.decode()
    section = page[page.index('id="references-by-kind"') :]
    assert "unknown" in section and "None found" not in section


@pytest.mark.parametrize(
    "query, expected",
    [
        ("reference_kind=tlsa", {DOMAIN, OTHER}),
        ("reference_kind=srv", {DOMAIN}),
        ("reference_breaks=mx_move", {DOMAIN, OTHER}),
        ("reference_breaks=end_date", {DOMAIN}),
        ("reference_breaks=quiet", set()),
        ("reference_breaks=mx_move&reference_kind=srv", {DOMAIN}),
    ],
)
def test_the_domain_list_filters_by_kind_and_by_what_breaks(ops_client, swept, query, expected):
    response = ops_client.get(f"/domains/?campaign=post-office&{query}")
    shown = {state.domain.name for state in response.context["table"].data}
    assert shown == expected
    form = response.context["filter"].form
    for pair in query.split("&"):
        name, value = pair.split("=")
        assert form[name].value() == value  # the filter shows its value


def test_reps_see_their_own_domains_that_block_the_mx_move(client, rep, ops_user, swept):
    client.force_login(rep)
    page = client.get("/domains/blocking-mx-move/").content.decode()
    assert DOMAIN in page and OTHER not in page
    client.force_login(ops_user)
    everyone = client.get("/domains/blocking-mx-move/").content.decode()
    assert DOMAIN in everyone and OTHER in everyone


def test_the_blocking_list_requires_login(client, campaign):
    assert client.get("/domains/blocking-mx-move/").status_code == 302


def test_the_dashboard_panel_counts_kinds_breaks_and_unknown(ops_client, swept):
    page = ops_client.get("/campaigns/post-office/dashboard/").content.decode()
    panel = page[page.index('id="references-panel"') :]
    panel = panel[: panel.index("</section>")]
    assert "2 domains block the MX move" in panel
    assert 'href="/domains/?campaign=post-office&amp;reference_breaks=mx_move">2</a>' in panel
    assert 'href="/domains/?campaign=post-office&amp;reference_kind=srv">1</a>' in panel
    assert "1 domain could not be fully checked" in panel
