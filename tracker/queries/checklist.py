"""What the domain page shows as evidence: the migration checklist and the SPF include tree.

Both are read from a stored domain report (`tracker.probe.stored`); nothing here
queries DNS or the database. Every string in a report came from DNS: templates escape it,
this module never marks anything safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracker.probe.campaign import Campaign as ProbeCampaign
from tracker.probe.campaign import CampaignError
from tracker.probe.domains import canonical_name
from tracker.probe.limits import SPF_MAX_DNS_LOOKUPS
from tracker.probe.stored import StoredReference, StoredReport

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
    note: str = ""  # "no SPF record", "include loop", "tree cut here"

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
    """The SPF include/redirect tree from the report's records, legacy terms marked."""
    root_name = canonical_name(report.domain)
    records = {canonical_name(name): texts for name, texts in report.spf.all_records(root_name).items()}
    if not records:
        return None
    legacy_targets, legacy_addresses = _legacy_terms(report)
    budget = [MAX_TREE_NODES]

    def build(name: str, ancestors: tuple[str, ...]) -> SpfNode:
        node = SpfNode(domain=name)
        budget[0] -= 1
        if name in ancestors:
            node.note = "include loop"
            return node
        if len(ancestors) >= MAX_TREE_DEPTH or budget[0] <= 0:
            node.note = "tree cut here (too deep or too large)"
            return node
        texts = records.get(name)
        if not texts:
            node.note = "no SPF record found"
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
    if legacy:
        ok, summary = False, "MX still points at the legacy service."
    elif mx.error and not hosts:
        ok, summary = None, f"MX lookup failed: {mx.error}"
    elif not hosts:
        ok, summary = False, "No MX record."
    elif successor_known:
        ok = all(probe.successor.matches_mx_host(host) for host in hosts)
        summary = "Every MX host is the successor's." if ok else "Some MX host is not the successor's."
    else:
        ok, summary = True, "No legacy MX host."
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
        "MX on the successor",
        ok,
        summary,
        {"hosts": rows, "error": mx.error, "references": _references_json(legacy)},
    )


def checklist(report_data: dict, campaign) -> list[ChecklistItem]:
    """The six steps a domain must pass before the legacy service can go."""
    report = StoredReport(report_data)
    probe = _probe_campaign(campaign)
    spf, dmarc = report.spf, report.dmarc
    spf_refs = report.spf_references
    spf_failed = bool(spf.error) and spf.record is None

    if spf_refs:
        no_ref = ChecklistItem(
            "no_legacy_spf", "No legacy SPF reference", False, "The SPF tree references the legacy service."
        )
    elif spf_failed:
        no_ref = ChecklistItem("no_legacy_spf", "No legacy SPF reference", None, f"SPF lookup failed: {spf.error}")
    else:
        no_ref = ChecklistItem(
            "no_legacy_spf", "No legacy SPF reference", True, "No legacy term anywhere in the SPF tree."
        )
    no_ref.evidence = {"references": _references_json(spf_refs)}

    authorizes = spf.authorizes_successor
    lookups = spf.dns_lookups
    breaks = spf.breaks_on_legacy_removal
    if dmarc.record:
        dmarc_ok, dmarc_summary = True, f"Policy p={dmarc.policy or '?'} at {dmarc.policy_domain or '?'}."
    elif dmarc.error:
        dmarc_ok, dmarc_summary = None, f"DMARC lookup failed: {dmarc.error}"
    else:
        dmarc_ok, dmarc_summary = False, "No DMARC record."
    return [
        _mx_item(report, probe),
        no_ref,
        ChecklistItem(
            "authorizes_successor",
            "SPF authorizes the successor",
            authorizes,
            {
                True: "check_host() passes for every successor outbound IP.",
                False: "The successor's outbound IPs do not pass.",
                None: "Unknown (SPF missing, failed, or no successor IPs configured).",
            }[authorizes],
            {"record": spf.record, "suggested_record": spf.suggested_record, "suggested_for": spf.suggested_for},
        ),
        ChecklistItem(
            "valid_after_removal",
            "Stays valid after the legacy record is deleted",
            None if breaks is None else not breaks,
            {
                True: "Evaluation reaches a legacy include/redirect: permerror once it is deleted.",
                False: "No reachable legacy include or redirect.",
                None: "Unknown.",
            }[breaks],
            {"tree": include_tree(report)},
        ),
        ChecklistItem(
            "lookup_limit",
            f"Under {SPF_MAX_DNS_LOOKUPS} DNS lookups",
            None if lookups is None else not spf.over_lookup_limit,
            f"{lookups} DNS-querying terms." if lookups is not None else "Unknown.",
            {"lookups": lookups, "void_lookups": spf.void_lookups, "warnings": list(spf.warnings)},
        ),
        ChecklistItem(
            "dmarc",
            "DMARC published",
            dmarc_ok,
            dmarc_summary,
            {
                "record": dmarc.record,
                "policy": dmarc.policy,
                "policy_domain": dmarc.policy_domain,
                "deprecated_tags": list(dmarc.deprecated_tags),
                "warnings": list(dmarc.warnings),
            },
        ),
    ]
