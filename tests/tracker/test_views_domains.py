"""/domains/ (ops table, filters, export) and /domains/<pk>/ (evidence, owner only, escaped DNS text)."""

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone

from customers.choices import MigrationStatus
from tests.factories import CampaignFactory, CustomerFactory, DomainFactory
from tests.reports import clean_report, legacy_report, store
from tracker.models import Sweep

XSS_TXT = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


@pytest.fixture
def campaign(db):
    return CampaignFactory(end_date=timezone.localdate() + dt.timedelta(days=30))


@pytest.fixture
def acme_domain(customer, campaign):
    domain = customer.domains.get()
    store(campaign, domain, legacy_report(domain.name))
    return domain


@pytest.fixture
def bobcat_domain(other_customer, campaign):
    domain = other_customer.domains.get()
    store(campaign, domain, clean_report(domain.name))
    return domain


# -- the table ---------------------------------------------------------------------------------------


def test_the_table_requires_login(client, campaign):
    assert client.get("/domains/").status_code == 302


def test_the_table_is_for_ops_only(rep_client, campaign):
    assert rep_client.get("/domains/").status_code == 403


def test_the_table_lists_the_campaigns_domains(ops_client, acme_domain, bobcat_domain):
    response = ops_client.get("/domains/")
    assert response.status_code == 200
    assert b"acme.example" in response.content and b"bobcat.example" in response.content


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"verdict": "legacy"}, "acme.example"),
        ({"verdict": "clean"}, "bobcat.example"),
        ({"reference_kind": "spf-include"}, "acme.example"),
        ({"breaks": "true"}, "acme.example"),
        ({"breaks": "false"}, "bobcat.example"),
        ({"q": "bobcat"}, "bobcat.example"),
        ({"q": "ACC-1001"}, "acme.example"),
        ({"q": "widgets"}, "acme.example"),  # the customer's name
        ({"customer_status": "contacted"}, "bobcat.example"),
        ({"dmarc_policy": "reject"}, "bobcat.example"),
        ({"deprecated_tags": "true"}, "acme.example"),
    ],
)
def test_the_table_filters(ops_client, acme_domain, bobcat_domain, other_customer, query, expected):
    other_customer.change_status(MigrationStatus.CONTACTED)
    response = ops_client.get("/domains/", query)
    names = [row.record.domain.name for row in response.context["table"].page.object_list]
    assert names == [expected]


def test_the_table_filters_by_rep(ops_client, acme_domain, bobcat_domain, rep):
    response = ops_client.get("/domains/", {"rep": rep.pk})
    assert [r.record.domain.name for r in response.context["table"].page.object_list] == ["acme.example"]


def test_the_table_exports_csv(ops_client, acme_domain, bobcat_domain):
    response = ops_client.get("/domains/", {"verdict": "legacy", "_export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("Domain,Customer,Account,Rep,Customer status,Verdict")
    assert lines[1].startswith("acme.example,Acme Widgets,ACC-1001,alice,not_contacted,legacy")
    assert len(lines) == 2


def test_the_table_exports_xlsx(ops_client, acme_domain, bobcat_domain):
    response = ops_client.get("/domains/", {"_export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Domain" and {rows[1][0], rows[2][0]} == {"acme.example", "bobcat.example"}


def test_the_table_query_count_is_constant(ops_client, campaign, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            domain = DomainFactory(customer=CustomerFactory())
            store(campaign, domain, legacy_report(domain.name))

    add(2)
    with django_assert_max_num_queries(20) as few:
        ops_client.get("/domains/")
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = ops_client.get("/domains/")
    assert response.context["table"].paginator.count == 22


# -- the domain page ---------------------------------------------------------------------------------


def test_the_page_requires_login(client, acme_domain):
    assert client.get(f"/domains/{acme_domain.pk}/").status_code == 302


def test_a_rep_sees_their_own_domain(rep_client, acme_domain):
    response = rep_client.get(f"/domains/{acme_domain.pk}/")
    assert response.status_code == 200
    assert [item.state for item in response.context["checklist"]] == [
        "pass",
        "fail",
        "fail",
        "fail",
        "pass",
        "pass",
    ]


def test_a_rep_gets_404_for_other_reps_domains(rep_client, bobcat_domain):
    assert rep_client.get(f"/domains/{bobcat_domain.pk}/").status_code == 404


def test_ops_see_every_domain(ops_client, bobcat_domain):
    assert ops_client.get(f"/domains/{bobcat_domain.pk}/").status_code == 200


def test_the_page_draws_the_include_tree(rep_client, acme_domain):
    text = rep_client.get(f"/domains/{acme_domain.pk}/").content.decode()
    # acme.example > _spf.acme.example > spf.po.2iij.net, nested, the legacy term marked.
    root = text.index('data-domain="acme.example"')
    nested = text.index('data-domain="_spf.acme.example"')
    legacy = text.index('data-domain="spf.po.2iij.net"')
    assert root < nested < legacy
    assert '<span class="legacy-term">include:spf.po.2iij.net</span>' in text


def test_the_page_shows_what_changed_between_checks(rep_client, acme_domain, campaign):
    store(campaign, acme_domain, clean_report(acme_domain.name), when=timezone.now() + dt.timedelta(hours=1))
    response = rep_client.get(f"/domains/{acme_domain.pk}/")
    newest = response.context["timeline"][0]
    assert newest.verdict == "clean" and newest.verdict_changed
    assert b"reference</strong> removed" in response.content


def test_dns_text_is_escaped(rep_client, customer, campaign):
    domain = customer.domains.get()
    report = legacy_report(domain.name)
    report["spf"]["record"] = f"v=spf1 {XSS_TXT} -all"
    report["spf"]["records"][domain.name] = [f"v=spf1 include:_spf.{domain.name} {XSS_TXT} -all"]
    report["dmarc"]["record"] = f"v=DMARC1; p=none; rua={XSS_TXT}"
    report["mx"]["hosts"] = [XSS_TXT]
    report["errors"] = [{"name": XSS_TXT, "type": "TXT", "error": "timeout"}]
    store(campaign, domain, report)
    text = rep_client.get(f"/domains/{domain.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in text
    assert "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in text


def test_an_unchecked_domain_says_so(rep_client, customer, campaign):
    response = rep_client.get(f"/domains/{customer.domains.get().pk}/")
    assert b"Not checked yet" in response.content


# -- re-check now ------------------------------------------------------------------------------------


def test_recheck_starts_a_sweep_of_that_domain(rep_client, acme_domain, campaign):
    response = rep_client.post(f"/domains/{acme_domain.pk}/recheck/", {"campaign": campaign.slug})
    assert response.status_code == 200
    sweep = Sweep.objects.get()
    assert sweep.total == 1 and sweep.requested_by.username == "alice"
    assert f'hx-get="/domains/{acme_domain.pk}/recheck/{sweep.pk}/"'.encode() in response.content
    assert b'hx-trigger="load delay:1s"' in response.content


def test_a_second_click_follows_the_running_recheck(rep_client, acme_domain):
    rep_client.post(f"/domains/{acme_domain.pk}/recheck/")
    rep_client.post(f"/domains/{acme_domain.pk}/recheck/")
    assert Sweep.objects.count() == 1


def test_recheck_is_404_for_other_reps_domains(rep_client, bobcat_domain):
    assert rep_client.post(f"/domains/{bobcat_domain.pk}/recheck/").status_code == 404
    assert not Sweep.objects.exists()


def test_recheck_progress_shows_the_fresh_result_when_done(rep_client, acme_domain, campaign):
    response = rep_client.post(f"/domains/{acme_domain.pk}/recheck/")
    sweep = Sweep.objects.get()
    polling = rep_client.get(f"/domains/{acme_domain.pk}/recheck/{sweep.pk}/")
    assert b"load delay:1s" in polling.content
    store(
        campaign, acme_domain, clean_report(acme_domain.name), when=timezone.now() + dt.timedelta(minutes=1)
    )
    Sweep.objects.filter(pk=sweep.pk).update(status="done", done=1)
    done = rep_client.get(f"/domains/{acme_domain.pk}/recheck/{sweep.pk}/")
    assert b"load delay:1s" not in done.content
    assert b'id="domain-evidence" hx-swap-oob="true"' in done.content
    assert b'id="domain-sidebar" class="col-xl-4" hx-swap-oob="true"' in done.content
    assert b"Re-check finished" in done.content and b"verdict-clean" in done.content
    assert response.status_code == 200


def test_recheck_progress_of_another_domain_is_404(rep_client, acme_domain, bobcat_domain, campaign):
    from tracker.services.sweeps import sweep_start

    sweep = sweep_start(campaign, [bobcat_domain], label=f"domain {bobcat_domain.name}", enqueue=False)
    assert rep_client.get(f"/domains/{acme_domain.pk}/recheck/{sweep.pk}/").status_code == 404


def test_each_row_has_a_cell_per_header(ops_client, acme_domain, bobcat_domain):
    import re

    text = ops_client.get("/domains/").content.decode()
    table = text[text.index("<table") : text.index("</table>")]
    headers = len(re.findall(r"<th\b", table))
    rows = re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody") :], re.S)
    assert len(rows) == 2 and all(len(re.findall(r"<td\b", row)) == headers for row in rows)
    assert headers == 11
