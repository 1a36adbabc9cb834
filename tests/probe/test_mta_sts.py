"""MTA-STS end to end: the TXT record from the test DNS server, the policy from a real HTTPS server.

The policy host's address comes from our zone only (no system resolver knows
`mta-sts.customer.example`), and its certificate from a CA made for the test.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.conftest_dns import TEST_ATTEMPTS, TEST_TIMEOUT
from tests.probe.legacy_cast import DOMAIN, MIGRATED, advice, full_campaign, probe, refs, serve
from tests.probe.policy_server import Page
from tracker.probe.mta_sts import policy_change
from tracker.probe.mta_sts_policy import parse_policy, parse_sts_record, validate_mx
from tracker.probe.resolver import Resolver

HOST = f"mta-sts.{DOMAIN}"
LEGACY_MX = {DOMAIN: {"MX": [(10, "mx1.po.example.net"), (20, "mx2.po.example.net")]}}
WEEK = 604800


def policy(*mx: str, mode: str = "enforce", max_age: int = WEEK) -> str:
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"]
    return "\r\n".join(lines) + "\r\n"


def publish(dns_server, policy_server, text: str | None, page: Page | None = None, base=MIGRATED, **records):
    """`_mta-sts` TXT with id, the policy host on loopback, and the page (or `text` as a good page)."""
    serve(
        dns_server,
        {f"_mta-sts.{DOMAIN}": {"TXT": ["v=STSv1; id=20240101"]}, HOST: {"A": ["127.0.0.1"]}, **records},
        base=base,
    )
    policy_server.serve(HOST, page or Page(body=text or ""))


def run(resolver, policy_server, **options):
    return probe(resolver, https=policy_server.options(**options))


def fresh_resolver(dns_server) -> Resolver:
    """A resolver with an empty cache (the next sweep), closed by asyncio.run's loop shutdown."""
    return Resolver([dns_server.address], timeout=TEST_TIMEOUT, attempts=TEST_ATTEMPTS)


def mta_sts_failed(report) -> list[dict]:
    return report.to_json()["checks"]["mta-sts"]["failed"]


# -- what breaks ------------------------------------------------------------------------------------


def test_an_enforce_policy_listing_only_the_legacy_hosts_blocks_the_mx_move(
    dns_server, resolver, policy_server
):
    publish(dns_server, policy_server, policy("*.po.example.net"), base=LEGACY_MX)
    report = run(resolver, policy_server)
    assert report.verdict == "legacy"
    assert refs(report, "mta-sts") == [("mta-sts", "mx: *.po.example.net", "mx_move")]
    data = report.to_json()["mta_sts"]
    assert data["id"] == "20240101" and data["covers_legacy"] and data["covers_successor"] is False
    assert data["policy"] == {
        "version": "STSv1",
        "mode": "enforce",
        "mx": ["*.po.example.net"],
        "max_age": WEEK,
    }
    assert policy_server.requests == [(HOST, "GET /.well-known/mta-sts.txt HTTP/1.1")]


def test_the_advice_is_a_verified_policy_with_a_new_id_before_the_mx_move(
    dns_server, resolver, policy_server
):
    publish(dns_server, policy_server, policy("*.po.example.net"), base=LEGACY_MX)
    report = run(resolver, policy_server)
    file_advice, txt_advice = advice(report, "mta-sts")
    assert (
        file_advice["name"] == f"https://{HOST}/.well-known/mta-sts.txt" and file_advice["type"] == "policy"
    )
    assert file_advice["when"] == txt_advice["when"] == "before_mx_move"
    new = parse_policy(file_advice["suggested"][0])
    assert new.mx == ("*.po.example.net", "*.securemx.example.org")
    assert (new.mode, new.max_age) == ("enforce", WEEK)
    for host in ("mx1.securemx.example.org", "mx1.po.example.net"):  # the move, and today's mail
        assert validate_mx(host, new).valid
    record = parse_sts_record(txt_advice["suggested"][0])
    assert txt_advice["name"] == f"_mta-sts.{DOMAIN}" and record.id != "20240101"
    assert "7 days" in txt_advice["note"]
    timing = report.to_json()["timing"]
    checked = report.checked_at
    assert dt.datetime.fromisoformat(timing["mx_move_not_before"]) == (
        checked + dt.timedelta(seconds=WEEK)
    ).replace(microsecond=0)
    assert timing["mta_sts_policy_dropped_by"] == timing["mx_move_not_before"]
    assert run(resolver, policy_server).to_json()["advice"] == report.to_json()["advice"]  # same every sweep


def test_a_policy_missing_the_successor_blocks_the_move_and_keeps_the_customers_own_hosts(
    dns_server, resolver, policy_server
):
    publish(dns_server, policy_server, policy("*.po.example.net", "backup.customer.example"), base=LEGACY_MX)
    report = run(resolver, policy_server)
    assert refs(report, "mta-sts") == [("mta-sts", "mx: *.po.example.net", "mx_move")]
    new = parse_policy(advice(report, "mta-sts")[0]["suggested"][0])
    assert new.mx == ("*.po.example.net", "backup.customer.example", "*.securemx.example.org")


def test_after_the_move_a_legacy_only_policy_refuses_mail_now(dns_server, resolver, policy_server):
    publish(dns_server, policy_server, policy("*.po.example.net"))
    report = run(resolver, policy_server)
    assert refs(report, "mta-sts") == [("mta-sts", "mx: *.po.example.net", "mx_move")]
    warnings = report.to_json()["mta_sts"]["warnings"]
    assert any(
        "mx1.securemx.example.org, mx2.securemx.example.org" in w and "refuse mail" in w for w in warnings
    )


def test_a_policy_by_the_customers_own_legacy_host_name_counts_too(dns_server, resolver, policy_server):
    publish(
        dns_server,
        policy_server,
        policy("mail.customer.example"),
        base={
            DOMAIN: {"MX": [(10, "mail.customer.example")]},
            "mail.customer.example": {"A": ["192.0.2.25"]},
        },
    )
    report = run(resolver, policy_server)
    assert ("mta-sts", "mx: mail.customer.example", "mx_move") in refs(report)
    assert ("mx-address", "mail.customer.example (192.0.2.25)", "end_date") in refs(report)


def test_testing_mode_only_loses_reports(dns_server, resolver, policy_server):
    publish(dns_server, policy_server, policy("*.po.example.net", mode="testing"), base=LEGACY_MX)
    report = run(resolver, policy_server)
    assert refs(report, "mta-sts") == [("mta-sts", "mx: *.po.example.net", "quiet")]
    assert parse_policy(advice(report, "mta-sts")[0]["suggested"][0]).mode == "testing"


def test_mode_none_breaks_nothing(dns_server, resolver, policy_server):
    publish(dns_server, policy_server, policy("*.po.example.net", mode="none"), base=LEGACY_MX)
    report = run(resolver, policy_server)
    assert refs(report, "mta-sts") == [] and advice(report, "mta-sts") == []


def test_a_policy_covering_both_is_a_leftover_to_drop_after_the_move(dns_server, resolver, policy_server):
    publish(dns_server, policy_server, policy("*.po.example.net", "*.securemx.example.org"))
    report = run(resolver, policy_server)
    assert report.verdict == "legacy"
    assert refs(report, "mta-sts") == [("mta-sts", "mx: *.po.example.net", "nothing")]
    file_advice, txt_advice = advice(report, "mta-sts")
    assert file_advice["when"] == "after_mx_move"
    assert parse_policy(file_advice["suggested"][0]).mx == ("*.securemx.example.org",)
    assert parse_sts_record(txt_advice["suggested"][0]).id != "20240101"


def test_a_migrated_policy_is_clean(dns_server, resolver, policy_server):
    publish(dns_server, policy_server, policy("*.securemx.example.org"))
    report = run(resolver, policy_server)
    assert report.verdict == "clean" and report.to_json()["mta_sts"]["covers_successor"] is True


# -- the id between two checks ---------------------------------------------------------------------


def test_a_renewed_id_tells_when_the_old_policy_is_gone(dns_server, resolver, policy_server):
    publish(dns_server, policy_server, policy("*.po.example.net"), base=LEGACY_MX)
    before = run(resolver, policy_server).to_json()
    renewed = policy("*.po.example.net", "*.securemx.example.org", max_age=86400)
    publish(
        dns_server,
        policy_server,
        renewed,
        base=LEGACY_MX,
        **{f"_mta-sts.{DOMAIN}": {"TXT": ["v=STSv1; id=2"]}},
    )
    after_report = probe(fresh_resolver(dns_server), https=policy_server.options())  # not the cached TXT
    after = after_report.to_json()
    assert refs(after_report, "mta-sts") == [("mta-sts", "mx: *.po.example.net", "nothing")]
    change = policy_change(before, after)
    assert change["id_changed"] and change["policy_changed"] and change["warning"] is None
    expected = dt.datetime.fromisoformat(after["checked_at"]) + dt.timedelta(seconds=WEEK)  # the OLD max_age
    assert change["old_policy_dropped_by"] == expected.isoformat(timespec="seconds")


def test_a_policy_changed_without_a_new_id_is_flagged(dns_server, resolver, policy_server):
    publish(dns_server, policy_server, policy("*.po.example.net"), base=LEGACY_MX)
    before = run(resolver, policy_server).to_json()
    policy_server.serve(HOST, Page(body=policy("*.po.example.net", "*.securemx.example.org")))
    after = run(resolver, policy_server).to_json()  # DNS answers cached, the policy fetched again
    change = policy_change(before, after)
    assert not change["id_changed"] and change["policy_changed"]
    assert "its id (20240101) did not" in change["warning"]
    assert policy_change(None, after)["old_policy_dropped_by"] is None


# -- hosted on the legacy service -----------------------------------------------------------------------


def test_a_policy_host_cnamed_to_the_legacy_service_stops_at_the_end_date(
    dns_server, resolver, policy_server
):
    publish(
        dns_server,
        policy_server,
        policy("*.securemx.example.org"),
        **{
            HOST: {"CNAME": ["sts.po-mail.example.net"]},
            "sts.po-mail.example.net": {"A": ["127.0.0.1"]},
        },
    )
    report = run(resolver, policy_server)
    assert refs(report, "mta-sts") == [("mta-sts", f"{HOST} -> sts.po-mail.example.net", "end_date")]
    (item,) = advice(report, "mta-sts")
    assert item["suggested"] is None and "served by the legacy service" in item["withheld"]
    assert report.to_json()["mta_sts"]["policy_host_aliases"] == ["sts.po-mail.example.net"]


def test_a_txt_record_cnamed_to_the_legacy_service_stops_at_the_end_date(dns_server, resolver, policy_server):
    publish(
        dns_server,
        policy_server,
        policy("*.securemx.example.org"),
        **{
            f"_mta-sts.{DOMAIN}": {"CNAME": ["_mta-sts.customer.po.example.net"]},
            "_mta-sts.customer.po.example.net": {"TXT": ["v=STSv1; id=1"]},
        },
    )
    report = run(resolver, policy_server)
    assert refs(report, "mta-sts") == [
        ("mta-sts", f"_mta-sts.{DOMAIN} -> _mta-sts.customer.po.example.net", "end_date")
    ]


# -- never clean when the policy is unknown ---------------------------------------------------------------


@pytest.mark.parametrize(
    "page,reason",
    [
        (Page(body="x" * 70_000), "response body over 65536 bytes"),
        (Page(body="x" * 70_000, chunked=True), "response body over 65536 bytes"),
        (Page(body=policy("*.po.example.net"), certificate="other-ca"), "certificate not trusted"),
        (Page(body=policy("*.po.example.net"), certificate="wrong-name"), "certificate not trusted"),
        (Page(status=503, body="busy"), "HTTP 503"),
    ],
    ids=["oversized", "oversized-chunked", "untrusted-ca", "wrong-name", "server-error"],
)
def test_a_policy_that_cannot_be_read_is_inconclusive(dns_server, resolver, policy_server, page, reason):
    publish(dns_server, policy_server, None, page=page)
    report = run(resolver, policy_server)
    assert report.verdict == "inconclusive"
    data = report.to_json()
    assert data["mta_sts"]["policy"] is None and reason in data["mta_sts"]["error"]
    assert refs(report, "mta-sts") == []  # an untrusted body is never read
    assert any(e["name"] == HOST and e["type"] == "HTTPS" and reason in e["error"] for e in data["errors"])
    assert mta_sts_failed(report)


@pytest.mark.parametrize(
    "page", [Page(body=policy("*.po.example.net"), drip=0.05), Page(delay=5)], ids=["slow", "silent"]
)
def test_a_slow_or_silent_policy_server_is_cut_off_and_inconclusive(
    dns_server, resolver, policy_server, page
):
    publish(dns_server, policy_server, None, page=page)
    started = time.monotonic()
    report = run(resolver, policy_server, timeout=0.6)
    assert time.monotonic() - started < 3
    assert report.verdict == "inconclusive"
    assert "timeout" in report.to_json()["mta_sts"]["error"]


def test_a_policy_host_with_only_private_addresses_is_not_fetched(dns_server, resolver, policy_server):
    publish(dns_server, policy_server, policy("*.securemx.example.org"))
    report = run(resolver, policy_server, allow_private=False)
    assert report.verdict == "inconclusive" and policy_server.requests == []
    assert "has no public address" in report.to_json()["mta_sts"]["error"]


def test_a_failed_txt_lookup_is_inconclusive(dns_server, resolver, policy_server):
    publish(dns_server, policy_server, policy("*.securemx.example.org"))
    dns_server.set_fault(f"_mta-sts.{DOMAIN}", "servfail")
    report = run(resolver, policy_server)
    assert report.verdict == "inconclusive" and policy_server.requests == []
    assert mta_sts_failed(report) == [{"name": f"_mta-sts.{DOMAIN}", "type": "TXT", "error": "SERVFAIL"}]


# -- answers that mean "no policy" ---------------------------------------------------------------------------


def test_no_txt_record_means_no_fetch(dns_server, resolver, policy_server):
    serve(dns_server, {HOST: {"A": ["127.0.0.1"]}})
    report = run(resolver, policy_server)
    assert report.verdict == "clean" and policy_server.requests == []
    assert report.to_json()["checks"]["mta-sts"]["looked_up"] == [f"_mta-sts.{DOMAIN} TXT"]


@pytest.mark.parametrize(
    "page,error",
    [
        (Page(status=404, body="no"), "HTTP 404"),
        (Page(status=301, headers=(("Location", "https://elsewhere.example/"),)), "must not follow"),
        (Page(body="version: STSv1\r\nmode: bogus\r\n"), "invalid policy"),
    ],
)
def test_a_served_non_policy_is_an_answer(dns_server, resolver, policy_server, page, error):
    publish(dns_server, policy_server, None, page=page)
    report = run(resolver, policy_server)
    assert report.verdict == "clean"
    assert error in report.to_json()["mta_sts"]["error"]


def test_a_wrong_media_type_is_a_warning(dns_server, resolver, policy_server):
    publish(
        dns_server,
        policy_server,
        None,
        page=Page(body=policy("*.securemx.example.org"), content_type="text/html"),
    )
    report = run(resolver, policy_server)
    assert any("not text/plain" in w for w in report.to_json()["mta_sts"]["warnings"])


def test_the_check_is_skipped_without_legacy_hosts(dns_server, resolver, policy_server):
    publish(dns_server, policy_server, policy("*.po.example.net"), base=LEGACY_MX)
    campaign = full_campaign()
    data = campaign.to_dict()
    del data["legacy"]["hosts"]
    report = probe(resolver, campaign=type(campaign).from_dict(data), https=policy_server.options())
    assert refs(report, "mta-sts") == [] and policy_server.requests == []
    assert "legacy.hosts" in report.to_json()["checks"]["mta-sts"]["skipped"]
    assert dns_server.count(f"_mta-sts.{DOMAIN}") == 0
