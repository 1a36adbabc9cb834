"""The domain report (docs/domain-report.md, a stable contract): verdict rules and the JSON form.

The analyses (MX, SPF tree, DMARC, DKIM and the campaign's extra checks) say
what they saw; this module alone decides what that means (`verdict`,
`on_successor`, what each reference breaks) so the rules live in one place.
`to_json()` emits exactly the contract's fields, plus extra keys (`mx.addresses`,
`spf.warnings`, `spf.advice`, `dmarc.notes`, `dkim`, `checks`, `mta_sts`, `tls_rpt`,
`advice`, `timing`, `checked_at`, and `breaks` on each reference): the contract
forbids renaming or changing fields, not adding them. `spf.advice` is the checked
SPF advice: `status` and `reasons` are codes for code (tracker/probe/spf/advice.py
lists them), `message` is for people. `timing` holds dates derived from the check
time (they move on every probe, like `checked_at`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tracker.probe.checks import CHECK_KINDS
from tracker.probe.findings import (
    CLEANUP,
    END_DATE,
    NOTHING,
    Advice,
    CheckResult,
    FrozenDict,
    LegacyReference,
    Recorder,
    ReportError,
    unique,
)
from tracker.probe.spf.advice import Advice as SpfAdvice

__all__ = ["DomainReport", "Evidence", "ReportError", "build_report"]

if TYPE_CHECKING:
    from tracker.probe.campaign import Campaign
    from tracker.probe.dkim import DkimAnalysis
    from tracker.probe.dmarc import DmarcAnalysis
    from tracker.probe.mx import MxAnalysis
    from tracker.probe.resolver import Answer
    from tracker.probe.spf.tree import SpfAnalysis

CLEAN, LEGACY, INCONCLUSIVE, UNREGISTERED = "clean", "legacy", "inconclusive", "unregistered"
VERDICTS = (CLEAN, LEGACY, INCONCLUSIVE, UNREGISTERED)
NO_CHECKS: Mapping = FrozenDict()
# Reference kinds (docs/domain-report.md), grouped as the follow-up work is: moving MX, fixing SPF.
MX_REFERENCE_KINDS = ("mx", "mx-address")
SPF_POINTER_KINDS = ("spf-include", "spf-redirect")  # break the day the legacy record is deleted
SPF_ADDRESS_KINDS = ("spf-ip",)
SPF_REFERENCE_KINDS = SPF_POINTER_KINDS + SPF_ADDRESS_KINDS
# The other places that point at the legacy service (MTA-STS, report addresses, DKIM, clients, DANE).
OTHER_REFERENCE_KINDS = ("mta-sts", "tls-rpt", "dmarc-report", "dkim", "client-host", "srv", "tlsa")
REFERENCE_KINDS = MX_REFERENCE_KINDS + SPF_REFERENCE_KINDS + OTHER_REFERENCE_KINDS


class ReferenceLike(Protocol):
    kind: str
    value: str
    path: tuple[str, ...]


@dataclass
class DomainReport:
    """Everything the engine learned about one domain; `to_json()` is the contract's object."""

    domain: str
    verdict: str
    legacy_references: list[ReferenceLike] = field(default_factory=list)
    on_successor: bool | None = None
    mx: MxAnalysis | None = None
    spf: SpfAnalysis | None = None
    dmarc: DmarcAnalysis | None = None
    dkim: DkimAnalysis | None = None
    errors: list[ReportError] = field(default_factory=list)
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    # The extra checks that ran, by name; why the others did not; their advice. A sweep keeps
    # every report: a campaign without extra checks shares these empty ones (read-only).
    checks: Mapping[str, CheckResult] = field(default_factory=lambda: NO_CHECKS)
    skipped_checks: Mapping[str, str] = field(default_factory=lambda: NO_CHECKS)
    advice: tuple[Advice, ...] = ()
    # What MX and SPF asked (their findings are the analyses above): the recorders themselves.
    mx_lookups: Recorder | None = None
    spf_lookups: Recorder | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready dict (one line of `probe --json`)."""
        return {
            "domain": self.domain,
            "verdict": self.verdict,
            "legacy_references": [_reference_json(ref) for ref in self.legacy_references],
            "on_successor": self.on_successor,
            "mx": _mx_json(self.mx, self.errors),
            "spf": _spf_json(self.spf, self.errors),
            "dmarc": _dmarc_json(self.dmarc, self.errors),
            "errors": [error.to_json() for error in self.errors],
            "dkim": self.dkim.to_json() if self.dkim is not None else None,
            "checks": _checks_json(
                {"mx": self.mx_lookups, "spf": self.spf_lookups}, self.checks, self.skipped_checks
            ),
            "mta_sts": _details(self.checks, "mta-sts"),
            "tls_rpt": _details(self.checks, "tls-rpt"),
            "advice": [advice.to_json() for advice in self.advice],
            "timing": {key: value for result in self.checks.values() for key, value in result.timing.items()},
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
        }

    def to_json_line(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))


def _reference_json(ref: ReferenceLike) -> dict[str, Any]:
    data = {"kind": ref.kind, "value": ref.value, "path": list(ref.path)}
    breaks = getattr(ref, "breaks", None)
    if breaks is not None:
        data["breaks"] = breaks
    return data


def _checks_json(
    core: Mapping[str, Recorder | None], checks: Mapping[str, CheckResult], skipped: Mapping[str, str]
) -> dict[str, Any]:
    """Per check (in CHECK_KINDS order): the kinds it finds, why it was skipped, what it asked, what failed."""
    data = {}
    for name, kinds in CHECK_KINDS.items():
        result = checks.get(name) or core.get(name)
        if result is None and name not in skipped:
            continue
        data[name] = {
            "kinds": list(kinds),
            "skipped": skipped.get(name),
            "looked_up": unique(result.looked_up) if result else [],
            "failed": [error.to_json() for error in _unique_errors(result.failures)] if result else [],
            "notes": list(getattr(result, "notes", ())),
        }
    return data


def _details(checks: dict[str, CheckResult], name: str) -> dict[str, Any] | None:
    result = checks.get(name)
    return result.details if result is not None else None


def _unique_errors(errors: list[ReportError]) -> list[ReportError]:
    """Each once, sorted: failures arrive in network order, the report must not depend on it."""
    return sorted(set(errors), key=lambda error: (error.name, error.type, error.error))


def _missing(errors: list[ReportError], part: str) -> str:
    """Why a part has no analysis (it raised or ran out of time): the engine's error for it."""
    for error in errors:
        if error.type == part:  # the engine names the part that raised or timed out
            return error.error
    return "not checked"


def _mx_json(mx: MxAnalysis | None, errors: list[ReportError]) -> dict[str, Any]:
    if mx is None:
        return {"hosts": [], "error": _missing(errors, "mx"), "addresses": {}, "null_mx": False, "notes": []}
    return {
        "hosts": list(mx.hosts),
        "error": mx.error,
        "addresses": {host: list(addresses) for host, addresses in mx.addresses.items()},
        "null_mx": mx.null_mx,
        "notes": list(mx.notes),
    }


def _spf_json(spf: SpfAnalysis | None, errors: list[ReportError]) -> dict[str, Any]:
    if spf is None:
        return {
            "record": None,
            "dns_lookups": None,
            "void_lookups": None,
            "breaks_on_legacy_removal": None,
            "authorizes_successor": None,
            "authorizes_legacy": None,
            "suggested_record": None,
            "error": _missing(errors, "spf"),
            "suggested_for": None,
            "warnings": [],
            "records": {},
            "advice": _advice_not_checked(_missing(errors, "spf")),
        }
    return {
        "record": spf.record,
        "dns_lookups": spf.dns_lookups,
        "void_lookups": spf.void_lookups,
        "breaks_on_legacy_removal": spf.breaks_on_legacy_removal,
        "authorizes_successor": spf.authorizes_successor,
        "authorizes_legacy": spf.authorizes_legacy,
        "suggested_record": spf.suggested_record,
        "error": spf.error,
        "suggested_for": spf.suggested_for,
        "warnings": list(spf.warnings),
        "records": {domain: list(records) for domain, records in spf.records.items()},
        "advice": spf.advice.to_json() if spf.advice is not None else _advice_not_checked("not checked"),
    }


def _advice_not_checked(why: str) -> dict[str, Any]:
    """No SPF analysis (it ran out of time or raised): nothing is known, so nothing is promised."""
    return SpfAdvice.not_checked(why).to_json()


def _dmarc_json(dmarc: DmarcAnalysis | None, errors: list[ReportError]) -> dict[str, Any]:
    if dmarc is None:
        return {
            "record": None,
            "policy_domain": None,
            "policy": None,
            "deprecated_tags": [],
            "error": _missing(errors, "dmarc"),
            "organizational_domain": None,
            "warnings": [],
            "notes": [],
            "testing": None,
            "dmarcbis": None,
        }
    return {
        "record": dmarc.record,
        "policy_domain": dmarc.policy_domain,
        "policy": dmarc.policy,
        "deprecated_tags": list(dmarc.deprecated_tags),
        "error": dmarc.error,
        "organizational_domain": dmarc.organizational_domain,
        "warnings": list(dmarc.warnings),
        "notes": list(dmarc.notes),
        "testing": dmarc.testing,
        "dmarcbis": _dmarcbis_json(dmarc),
    }


def _dmarcbis_json(dmarc: DmarcAnalysis) -> dict[str, Any] | None:
    """What the RFC 9989 tree walk applies, beside the RFC 7489 result the contract fields show."""
    bis = dmarc.dmarcbis
    if bis is None:
        return None
    return {
        "record": bis.record,
        "policy_domain": bis.policy_domain,
        "policy": bis.policy,
        "organizational_domain": bis.organizational_domain,
        "error": bis.error,
    }


# -- verdict rules -------------------------------------------------------------------------------


@dataclass
class Evidence:
    """The analyses of one domain plus what the engine itself noticed, before judging."""

    domain: str
    campaign: Campaign
    mx: MxAnalysis | None = None
    spf: SpfAnalysis | None = None
    dmarc: DmarcAnalysis | None = None
    dkim: DkimAnalysis | None = None
    apex_txt: Answer | None = None  # the domain's own TXT answer (shared with SPF via the cache)
    engine_errors: list[ReportError] = field(default_factory=list)  # a part that raised or timed out
    checks: dict[str, CheckResult] = field(default_factory=dict)  # what each extra check asked and found
    skipped_checks: Mapping[str, str] = field(default_factory=dict)
    mx_lookups: Recorder | None = None  # what MX and SPF asked
    spf_lookups: Recorder | None = None
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def collect_errors(evidence: Evidence) -> list[ReportError]:
    """Every failed lookup once: MX, SPF, DMARC, the extra checks, then the engine's own trouble."""
    errors: list[ReportError] = []
    if evidence.mx is not None:
        errors.extend(ReportError.from_answer(answer) for answer in evidence.mx.failures)
    if evidence.spf is not None:
        errors.extend(ReportError(f.name, f.rdtype, f.reason) for f in evidence.spf.failures)
    elif evidence.apex_txt is not None and evidence.apex_txt.failed:
        errors.append(ReportError.from_answer(evidence.apex_txt))
    if evidence.dmarc is not None:
        errors.extend(ReportError.from_answer(answer) for answer in evidence.dmarc.failures)
    for result in evidence.checks.values():
        errors.extend(_unique_errors(result.failures))
    errors.extend(evidence.engine_errors)
    unique: dict[tuple[str, str, str], ReportError] = {}
    for error in errors:
        unique.setdefault((error.name, error.type, error.error), error)
    return list(unique.values())


def domain_missing(evidence: Evidence) -> bool:
    """The domain is NXDOMAIN: some apex query said so and none said it exists.

    The MX and TXT queries at the apex are asked anyway, so this costs no extra
    question; a server that contradicts itself is taken to mean "exists".
    """
    said_missing = said_present = False
    if evidence.mx is not None and evidence.mx.answered:
        said_missing |= evidence.mx.domain_missing
        said_present |= not evidence.mx.domain_missing
    if evidence.apex_txt is not None and not evidence.apex_txt.failed:
        said_missing |= evidence.apex_txt.outcome == "NXDOMAIN"
        said_present |= evidence.apex_txt.outcome != "NXDOMAIN"
    return said_missing and not said_present


def _spf_breaks(spf: SpfAnalysis, ref: ReferenceLike) -> str:
    """An include/redirect that evaluation reaches breaks on cleanup; one after `all` breaks nothing."""
    if ref.kind == "spf-ip":
        return NOTHING  # the legacy addresses stay authorized, and unused: nothing fails, clean it up
    reached = {(path[-2], path[-1]) for path in spf.reached_legacy if len(path) >= 2}
    if (ref.path[-1], ref.value) in reached:
        return CLEANUP
    # Without the paths (an analysis built by hand): the tree's own verdict, on the safe side.
    return CLEANUP if spf.breaks_on_legacy_removal and not spf.reached_legacy else NOTHING


def references(evidence: Evidence) -> list[LegacyReference]:
    """Every reference, each with what it breaks: MX, SPF, then the extra checks in report order."""
    found: list[LegacyReference] = []
    if evidence.mx is not None:
        found.extend(LegacyReference(r.kind, r.value, r.path, END_DATE) for r in evidence.mx.references)
    if evidence.spf is not None:
        spf = evidence.spf
        found.extend(LegacyReference(r.kind, r.value, r.path, _spf_breaks(spf, r)) for r in spf.references)
    for result in evidence.checks.values():
        found.extend(result.references)
    return found


def everything_answered(evidence: Evidence, errors: list[ReportError]) -> bool:
    """No failed lookup anywhere, both MX and SPF ran to completion, and every extra check too."""
    return (
        not errors
        and evidence.mx is not None
        and evidence.mx.complete
        and evidence.spf is not None
        and evidence.spf.complete
        and all(result.complete for result in evidence.checks.values())
    )


def verdict(evidence: Evidence, errors: list[ReportError]) -> str:
    """A reference is a fact; never `clean` when a lookup failed."""
    if references(evidence):
        return LEGACY
    if domain_missing(evidence):
        return UNREGISTERED
    if everything_answered(evidence, errors):
        return CLEAN
    return INCONCLUSIVE


def _spf_authorizes_successor(evidence: Evidence) -> bool | None:
    spf, campaign = evidence.spf, evidence.campaign
    if spf is None:
        return None
    if spf.record is None:
        top_failed = (evidence.apex_txt is not None and evidence.apex_txt.failed) or any(
            f.name == evidence.domain and f.rdtype == "TXT" for f in spf.failures
        )
        return None if top_failed else False  # no SPF at all: not on the successor
    if spf.authorizes_successor is not None:
        return spf.authorizes_successor
    if not campaign.successor.outbound_ips:
        # No addresses to test: the tree reaching a successor SPF domain is the evidence.
        if any(campaign.successor.matches_spf_domain(name) for name in spf.records):
            return True
        return False if spf.complete else None
    return None


def on_successor(evidence: Evidence) -> bool | None:
    """False as soon as one part is known false; True when both are; None otherwise."""
    mx_part = evidence.mx.all_successor if evidence.mx is not None else None
    spf_part = _spf_authorizes_successor(evidence)
    if mx_part is False or spf_part is False:
        return False
    if mx_part is True and spf_part is True:
        return True
    return None


def build_report(evidence: Evidence) -> DomainReport:
    """Judge the evidence: the one place where verdict and on_successor are decided."""
    errors = collect_errors(evidence)
    if evidence.dmarc is not None and domain_missing(evidence):
        evidence.dmarc.apply_domain_missing()
    return DomainReport(
        domain=evidence.domain,
        verdict=verdict(evidence, errors),
        legacy_references=references(evidence),
        on_successor=on_successor(evidence),
        mx=evidence.mx,
        spf=evidence.spf,
        dmarc=evidence.dmarc,
        dkim=evidence.dkim,
        errors=errors,
        checked_at=evidence.checked_at,
        checks=evidence.checks or NO_CHECKS,
        skipped_checks=evidence.skipped_checks,
        mx_lookups=evidence.mx_lookups,
        spf_lookups=evidence.spf_lookups,
        advice=tuple(advice for result in evidence.checks.values() for advice in result.advice),
    )
