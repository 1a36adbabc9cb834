"""What the domain page shows as evidence: the migration checklist and the SPF include tree.

Both are read from a stored domain report (`tracker.probe.stored`); nothing here
queries DNS or the database. Every string in a report came from DNS: templates escape it,
this module never marks anything safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from tracker.choices import Verdict
from tracker.probe.campaign import Campaign as ProbeCampaign
from tracker.probe.campaign import CampaignError
from tracker.probe.domains import canonical_name
from tracker.probe.limits import SPF_MAX_DNS_LOOKUPS
from tracker.probe.stored import StoredReference, StoredReport
from tracker.queries.evidence import (
    dmarc_unknown_reason,
    failure_text,
    mx_unknown_reason,
    nxdomain_text,
    spf_failures,
    spf_unknown_reason,
)

# Bounds for drawing a tree out of attacker-controlled records.
MAX_TREE_DEPTH = 12
MAX_TREE_NODES = 200


@dataclass
class ChecklistItem:
    """One step of the migration checklist; `ok` is None when the check could not tell."""

    key: str
    label: str
    ok: bool | None
    summary: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return {True: "pass", False: "fail", None: "unknown"}[self.ok]


@dataclass
class Term:
    text: str
    is_legacy: bool = False
    child: SpfNode | None = None


@dataclass
class SpfNode:
    """A domain in the include tree, with its SPF record(s) split into terms."""

    domain: str
    records: list[list[Term]] = field(default_factory=list)
    note: str = ""  # "no SPF record", "include loop", "tree cut here", "SPF lookup of x timed out"
    failed: bool = False  # the lookup of this domain failed: the tree below it is unknown

    @property
    def children(self) -> list[SpfNode]:
        return [term.child for record in self.records for term in record if term.child is not None]


def _references_json(refs: list[StoredReference]) -> list[dict]:
    return [{"kind": ref.kind, "value": ref.value, "path": list(ref.path)} for ref in refs]


def _term_target(term: str) -> str | None:
    """The domain an include:/redirect= term points at, or None for other terms."""
    bare = term[1:] if term[:1] in "+-~?" else term
    for prefix in ("include:", "redirect="):
        if bare.lower().startswith(prefix):
            return bare[len(prefix) :]
    return None


def _legacy_terms(report: StoredReport) -> tuple[set[str], set[str]]:
    """Legacy include/redirect targets and legacy address terms, as the report names them."""
    targets, addresses = set(), set()
    for ref in report.spf_references:
        if ref.kind == "spf-ip":
            addresses.add(ref.value.lower())
            addresses.add(ref.value.split(":", 1)[-1].lower())
        else:
            targets.add(canonical_name(ref.value))
    return targets, addresses


def include_tree(report: StoredReport) -> SpfNode | None:
    """The SPF include/redirect tree from the report's records, legacy terms marked.

    A domain whose lookup failed is drawn as such ("SPF lookup of x timed out"), never as
    "no SPF record": the tree is cut there and what lies below is unknown.
    """
    root_name = canonical_name(report.domain)
    records = {canonical_name(name): texts for name, texts in report.spf.all_records(root_name).items()}
    if not records:
        return None
    failed = {}
    for error in spf_failures(report):
        failed.setdefault(canonical_name(error.name), failure_text(error, "SPF"))
    legacy_targets, legacy_addresses = _legacy_terms(report)
    budget = [MAX_TREE_NODES]

    def build(name: str, ancestors: tuple[str, ...]) -> SpfNode:
        node = SpfNode(domain=name)
        budget[0] -= 1
        if name in ancestors:
            node.note = _("include loop")
            return node
        if len(ancestors) >= MAX_TREE_DEPTH or budget[0] <= 0:
            node.note = _("tree cut here (too deep or too large)")
            return node
        texts = records.get(name)
        if not texts and name in failed:
            node.note = failed[name]
            node.failed = True
            return node
        if not texts:
            node.note = _("no SPF record found")
            return node
        for text in texts:
            terms = []
            for word in str(text).split():
                target = _term_target(word)
                bare = word.lstrip("+-~?").lower()
                is_legacy = (target is not None and canonical_name(target) in legacy_targets) or (
                    bare.startswith(("ip4:", "ip6:"))
                    and (bare in legacy_addresses or bare[4:] in legacy_addresses)
                )
                child = None
                if target is not None and "%" not in target:
                    child = build(canonical_name(target), (*ancestors, name))
                terms.append(Term(text=word, is_legacy=is_legacy, child=child))
            node.records.append(terms)
        return node

    return build(root_name, ())


def _probe_campaign(campaign) -> ProbeCampaign | None:
    try:
        return campaign.to_probe()
    except CampaignError:
        return None


def _mx_item(report: StoredReport, probe: ProbeCampaign | None) -> ChecklistItem:
    mx = report.mx
    hosts = list(mx.hosts)
    legacy = report.mx_references
    legacy_hosts = {canonical_name(ref.value) for ref in legacy}
    successor_known = probe is not None and bool(probe.successor.mx_hosts)
    failed = mx_unknown_reason(report)
    if legacy:
        ok, summary = False, _("MX still points at the legacy service.")
    elif failed or (mx.error and not hosts):
        ok, summary = None, _("Unknown: %(reason)s.") % {"reason": failed or mx.error}
    elif not hosts:
        ok, summary = False, _("No MX record.")
    elif successor_known:
        ok = all(probe.successor.matches_mx_host(host) for host in hosts)
        summary = _("Every MX host is the successor's.") if ok else _("Some MX host is not the successor's.")
    else:
        ok, summary = True, _("No legacy MX host.")
    rows = [
        {
            "host": host,
            "legacy": canonical_name(host) in legacy_hosts,
            "successor": bool(probe and probe.successor.mx_hosts and probe.successor.matches_mx_host(host)),
        }
        for host in hosts
    ]
    return ChecklistItem(
        "mx",
        _("MX on the successor"),
        ok,
        summary,
        {"hosts": rows, "error": mx.error, "references": _references_json(legacy)},
    )


def _unknown(reason: str) -> str:
    return _("Unknown: %(reason)s.") % {"reason": reason}


def _no_reference_item(report: StoredReport, spf_unknown: str | None) -> ChecklistItem:
    refs = report.spf_references
    label = _("No legacy SPF reference")
    if refs:  # a reference found is a fact, even if other lookups failed
        ok, summary = False, _("The SPF tree references the legacy service.")
    elif spf_unknown:
        ok, summary = None, _unknown(spf_unknown)
    else:
        ok, summary = True, _("No legacy term anywhere in the SPF tree.")
    return ChecklistItem("no_legacy_spf", label, ok, summary, {"references": _references_json(refs)})


def _authorizes_item(report: StoredReport, spf_unknown: str | None) -> ChecklistItem:
    spf = report.spf
    authorizes = spf.authorizes_successor
    if authorizes is True:
        summary = _("check_host() passes for every successor outbound IP.")
    elif authorizes is False:
        summary = _("The successor's outbound IPs do not pass.")
    elif spf_unknown:
        summary = _unknown(spf_unknown)
    elif spf.record is None:
        summary = _("Unknown: no SPF record to evaluate.")
    else:
        summary = _("Unknown: the campaign lists no successor outbound IPs to test.")
    verified = spf.advice.verified and bool(spf.suggested_record)
    return ChecklistItem(
        "authorizes_successor",
        _("SPF authorizes the successor"),
        authorizes,
        summary,
        {
            "record": spf.record,
            "record_unknown": spf_unknown if spf.record is None else None,
            "suggested_record": spf.suggested_record if verified else None,
            "suggested_for": spf.suggested_for if verified else None,
            "advice_status": spf.advice.status,
            "advice_message": "" if verified else spf.advice.message,
        },
    )


def _removal_item(report: StoredReport, spf_unknown: str | None) -> ChecklistItem:
    breaks = report.spf.breaks_on_legacy_removal
    if breaks:  # evaluation reached a legacy include: a fact, whatever else failed
        ok, summary = False, _("Evaluation reaches a legacy include/redirect: permerror once it is deleted.")
    elif spf_unknown:
        ok, summary = None, _unknown(spf_unknown)
    elif breaks is None:
        ok, summary = None, _("Unknown: the SPF tree was not evaluated.")
    else:
        ok, summary = True, _("No reachable legacy include or redirect.")
    return ChecklistItem(
        "valid_after_removal",
        _("Stays valid after the legacy record is deleted"),
        ok,
        summary,
        {"tree": include_tree(report), "tree_unknown": spf_unknown},
    )


def _lookup_limit_item(report: StoredReport, spf_unknown: str | None) -> ChecklistItem:
    spf = report.spf
    lookups = spf.dns_lookups
    if lookups is not None and spf.over_lookup_limit:  # already over, whatever else is missing
        ok, summary = False, _("%(count)d DNS-querying terms.") % {"count": lookups}
    elif spf_unknown:
        # The terms below a failed lookup were never counted: the count is a floor, not a pass.
        ok, summary = None, _unknown(spf_unknown)
    elif lookups is None:
        ok, summary = None, _("Unknown: the SPF tree was not evaluated.")
    else:
        ok, summary = True, _("%(count)d DNS-querying terms.") % {"count": lookups}
    return ChecklistItem(
        "lookup_limit",
        _("Under %(limit)d DNS lookups") % {"limit": SPF_MAX_DNS_LOOKUPS},
        ok,
        summary,
        {
            "lookups": lookups if ok is not None else None,
            "void_lookups": spf.void_lookups,
            "warnings": list(spf.warnings),
        },
    )


def _dmarc_item(report: StoredReport) -> ChecklistItem:
    dmarc = report.dmarc
    failed = dmarc_unknown_reason(report)
    if dmarc.record:
        ok = True
        summary = _("Policy p=%(policy)s at %(domain)s.") % {
            "policy": dmarc.policy or "?",
            "domain": dmarc.policy_domain or "?",
        }
    elif failed or dmarc.error:
        ok, summary = None, _unknown(failed or dmarc.error)
    else:
        ok, summary = False, _("No DMARC record.")
    return ChecklistItem(
        "dmarc",
        _("DMARC published"),
        ok,
        summary,
        {
            "record": dmarc.record,
            "policy": dmarc.policy,
            "policy_domain": dmarc.policy_domain,
            "deprecated_tags": list(dmarc.deprecated_tags),
            "warnings": list(dmarc.warnings),
        },
    )


def _no_pass_for_missing_domain(report: StoredReport, items: list[ChecklistItem]) -> None:
    """A domain that does not exist has nothing that could pass: every "pass" becomes unknown."""
    if report.verdict != Verdict.UNREGISTERED:
        return
    for item in items:
        if item.ok is True or item.key in ("mx", "valid_after_removal", "lookup_limit"):
            item.ok, item.summary = None, _unknown(nxdomain_text(report))


def checklist(report_data: dict, campaign) -> list[ChecklistItem]:
    """The six steps a domain must pass before the legacy service can go; each pass, fail or unknown."""
    report = StoredReport(report_data)
    probe = _probe_campaign(campaign)
    spf_unknown = spf_unknown_reason(report)
    items = [
        _mx_item(report, probe),
        _no_reference_item(report, spf_unknown),
        _authorizes_item(report, spf_unknown),
        _removal_item(report, spf_unknown),
        _lookup_limit_item(report, spf_unknown),
        _dmarc_item(report),
    ]
    _no_pass_for_missing_domain(report, items)
    return items


def state_counts(items: list[ChecklistItem]) -> dict[str, int]:
    """How many checklist items pass, fail and are unknown (for summaries beside the list)."""
    counts = {"pass": 0, "fail": 0, "unknown": 0}
    for item in items:
        counts[item.state] += 1
    return counts
