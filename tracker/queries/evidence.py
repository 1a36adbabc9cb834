"""Evidence in three states (pass, fail, unknown) and the words that name a failed lookup.

A failed lookup proves nothing: whatever depends on it is "unknown", and the page says
which lookup failed ("SPF lookup of example.jp timed out") so a rep can tell the customer
or ops can look at the DNS. A domain that does not exist (NXDOMAIN) gets no "pass" either.
Every name here came from DNS: templates escape it, nothing is marked safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from tracker.choices import Verdict
from tracker.probe.stored import StoredError, StoredReport

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"

# Engine parts whose errors are not about one DNS answer (time budget, internal error).
_ENGINE_PART_TYPES = {"spf", "mx", "dmarc", "probe", "name"}
# Names of the other checks' lookups, kept apart from SPF in reports without `checks`.
_OTHER_CHECK_LABELS = ("_dmarc.", "_mta-sts.", "_smtp._tls.", "_domainkey.", "_tcp.", "_udp.")
# Advice reasons that mean the SPF tree was not fully seen (tracker.probe.spf.advice).
_SPF_INCOMPLETE_REASONS = {"lookup_failed", "tree_incomplete", "not_checked"}


@dataclass(frozen=True)
class Evidence:
    """One fact shown to a person: `state` is pass, fail or unknown; `reason` says why in words."""

    state: str
    reason: str = ""

    @property
    def ok(self) -> bool | None:
        return {PASS: True, FAIL: False, UNKNOWN: None}[self.state]


def failure_text(error: StoredError, part: str) -> str:
    """`SPF lookup of example.jp timed out`, `MX lookup of example.jp failed (SERVFAIL)`."""
    values = {"part": part, "name": error.name, "error": error.error}
    if error.type in _ENGINE_PART_TYPES:  # lower case: an engine part; DNS types are upper case
        return _("%(part)s check of %(name)s did not finish (%(error)s)") % values
    if error.error == "timeout":
        return _("%(part)s lookup of %(name)s timed out") % values
    return _("%(part)s lookup of %(name)s failed (%(error)s)") % values


def _check_failures(report: StoredReport, check: str) -> list[StoredError] | None:
    """The failed lookups the engine lists for one check (`checks.<name>.failed`); None in old reports."""
    checks = report.data.get("checks") or {}
    if check not in checks:
        return None
    return [
        StoredError(str(e.get("name", "")), str(e.get("type", "")), str(e.get("error", "")))
        for e in checks[check].get("failed") or []
    ]


def _is_other_check(name: str) -> bool:
    return any(label in f".{name}" for label in _OTHER_CHECK_LABELS)


def spf_failures(report: StoredReport) -> list[StoredError]:
    """The lookups the SPF tree needed and did not get."""
    failures = _check_failures(report, "spf")
    if failures is None:
        failures = [
            e
            for e in report.errors
            if (e.type in ("TXT", "spf") and not _is_other_check(e.name))
            or (e.type in ("A", "AAAA") and report.spf.record is not None)
        ]
    engine = [e for e in report.errors if e.type == "spf" and e not in failures]
    return [*failures, *engine]


def mx_failures(report: StoredReport) -> list[StoredError]:
    failures = _check_failures(report, "mx")
    if failures is None:
        failures = [e for e in report.errors if e.type == "MX"]
    return [*failures, *(e for e in report.errors if e.type == "mx" and e not in failures)]


def dmarc_failures(report: StoredReport) -> list[StoredError]:
    return [e for e in report.errors if e.name.startswith("_dmarc.") or e.type == "dmarc"]


def _named(failures: list[StoredError], part: str) -> str:
    text = failure_text(failures[0], part)
    if len(failures) > 1:
        text += " " + _("(and %(count)d more failed lookups)") % {"count": len(failures) - 1}
    return text


def nxdomain_text(report: StoredReport) -> str:
    return _("%(domain)s does not exist (NXDOMAIN): nothing to check until it is registered") % {
        "domain": report.domain
    }


def spf_unknown_reason(report: StoredReport) -> str | None:
    """Why the SPF tree is not fully known (the failed lookup, named), or None when it is."""
    failures = spf_failures(report)
    if failures:
        return _named(failures, "SPF")
    spf = report.spf
    if (spf.error or "").startswith("temperror"):
        return _("SPF lookup of %(domain)s failed (%(error)s)") % {
            "domain": report.domain,
            "error": spf.error,
        }
    if spf.advice.status == UNKNOWN and _SPF_INCOMPLETE_REASONS & set(spf.advice.reasons):
        return _("SPF tree of %(domain)s not fully checked") % {"domain": report.domain}
    return None


def mx_unknown_reason(report: StoredReport) -> str | None:
    failures = mx_failures(report)
    return _named(failures, "MX") if failures else None


def dmarc_unknown_reason(report: StoredReport) -> str | None:
    failures = dmarc_failures(report)
    return _named(failures, "DMARC") if failures else None


def first_unknown_reason(report: StoredReport) -> str | None:
    """The first failed lookup of the report, in words (SPF first: it decides the removal)."""
    reason = spf_unknown_reason(report) or mx_unknown_reason(report) or dmarc_unknown_reason(report)
    if reason is None and report.errors:
        error = report.errors[0]
        reason = failure_text(error, error.type)
    return reason


def removal_evidence(report: StoredReport | None) -> Evidence:
    """Does the domain's SPF stay valid once the legacy record is deleted? Never "pass" on a failed lookup."""
    if report is None:
        return Evidence(UNKNOWN, _("not checked yet"))
    if report.verdict == Verdict.UNREGISTERED:
        return Evidence(UNKNOWN, nxdomain_text(report))
    breaks = report.spf.breaks_on_legacy_removal
    if breaks:  # a reachable legacy include was seen: a fact, whatever else failed
        return Evidence(FAIL, _("breaks when the legacy record is deleted"))
    reason = spf_unknown_reason(report)
    if reason is not None or breaks is None:
        return Evidence(UNKNOWN, reason or _("not known"))
    return Evidence(PASS, _("stays valid when the legacy record is deleted"))


def domain_evidence(report: StoredReport | None) -> Evidence:
    """The customer page's one line per domain: ready for the retirement (pass), not (fail), or unknown."""
    if report is None:
        return Evidence(UNKNOWN, _("not checked yet"))
    if report.verdict == Verdict.UNREGISTERED:
        return Evidence(UNKNOWN, nxdomain_text(report))
    if report.verdict == Verdict.LEGACY:
        return Evidence(FAIL, _("still uses the legacy service"))
    reason = first_unknown_reason(report)
    if report.verdict == Verdict.INCONCLUSIVE or reason is not None:
        return Evidence(UNKNOWN, reason or _("not known"))
    return Evidence(PASS, _("nothing left on the legacy service"))


# -- counts (the dashboard shows unknown as its own number, never folded into 0) ------------------

# A domain state whose "breaks on removal" is not known: a failed lookup, a missing domain, or no answer.
REMOVAL_UNKNOWN = Q(verdict__in=[Verdict.INCONCLUSIVE, Verdict.UNREGISTERED]) | Q(
    breaks_on_legacy_removal=None
)
REMOVAL_FAIL = Q(breaks_on_legacy_removal=True) & ~Q(verdict__in=[Verdict.INCONCLUSIVE, Verdict.UNREGISTERED])
REMOVAL_PASS = ~REMOVAL_UNKNOWN & ~REMOVAL_FAIL


def removal_counts(states) -> dict[str, int]:
    """Domain states by "stays valid after the legacy record is deleted": {pass, fail, unknown}; one query."""
    return states.aggregate(
        **{
            PASS: Count("pk", filter=REMOVAL_PASS),
            FAIL: Count("pk", filter=REMOVAL_FAIL),
            UNKNOWN: Count("pk", filter=REMOVAL_UNKNOWN),
        }
    )
