"""SPF include-tree analysis for one customer domain (docs/probe-interfaces.md, docs/domain-report.md).

Fetch the whole tree once (graph.py), then answer from it: which legacy terms
are published (references), whether evaluation reaches them (breaks), what a
receiver gets (evaluation.py), and what the customer should publish instead,
checked before it is offered (advice.py). check_host() runs for the campaign's
outbound IPs on the answers the walk already has (answers.py).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from ..campaign import Campaign, Service
from ..domains import canonical_name
from ..resolver import Answer, Resolver
from .advice import Advice, advise
from .answers import AnswersInHand, answers_of, probe_terms
from .check_host import MAX_DNS_TERMS, MAX_VOID_LOOKUPS, check_host
from .evaluation import worst_case
from .graph import Node, ParsedRecord, SpfGraph, fetch_tree, placeholder_context
from .suggest import overlapping_network

MAX_RECORD_BYTES = 450  # RFC 7208 3.4: keep SPF answers within a 512-byte UDP reply


@dataclass(frozen=True)
class Reference:
    """A legacy term published in the tree; `path` runs from the customer's domain to the record."""

    kind: str  # "spf-include" | "spf-redirect" | "spf-ip"
    value: str
    path: tuple[str, ...]


@dataclass(frozen=True)
class LookupFailure:
    """A lookup that got no answer: name, type and why ("timeout", "SERVFAIL", "REFUSED", "error: ...")."""

    name: str
    rdtype: str
    reason: str


@dataclass
class SpfAnalysis:
    record: str | None = None
    records: dict[str, list[str]] = field(default_factory=dict)
    dns_lookups: int = 0
    void_lookups: int = 0
    breaks_on_legacy_removal: bool = False
    authorizes_successor: bool | None = None
    authorizes_legacy: bool | None = None
    suggested_record: str | None = None
    suggested_for: str | None = None
    references: list[Reference] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    failures: list[LookupFailure] = field(default_factory=list)
    complete: bool = True
    root_answer: Answer | None = None  # the customer's own TXT answer (the report's apex TXT)
    advice: Advice | None = None  # what to change, checked (advice.py); the report's `spf.advice`
    reached_legacy: list[tuple[str, ...]] = field(default_factory=list)  # evaluation paths to legacy targets


# -- references ---------------------------------------------------------------------------------


def legacy_name(graph: SpfGraph, legacy: Service):
    """A test for "this name is a legacy SPF domain, or a CNAME to one" on this tree."""

    def is_legacy(name: str) -> bool:
        return graph.service_domain(name, legacy.matches_spf_domain) is not None

    return is_legacy


def _inside_legacy(graph: SpfGraph, node: Node, legacy: Service) -> bool:
    """The legacy service's own records (and below) are not the customer's to clean up."""
    return any(graph.service_domain(domain, legacy.matches_spf_domain) for domain in node.path[1:])


# A record with a syntax error is still published: a legacy include in it must be
# cleaned up too, so its terms are read token by token (no macro expansion).
_LOOSE_POINTER = re.compile(r"^[+?~-]?(include):(\S+)$|^(redirect)=(\S+)$", re.IGNORECASE)


def _broken_record_references(node: Node, text: str, legacy: Service) -> list[Reference]:
    found: list[Reference] = []
    for token in text.split()[1:]:
        match = _LOOSE_POINTER.match(token)
        if match is None:
            continue
        target = canonical_name(match.group(2) or match.group(4))
        if legacy.matches_spf_domain(target):
            kind = "spf-include" if match.group(1) else "spf-redirect"
            found.append(Reference(kind, target, node.path))
    return found


def _record_references(graph: SpfGraph, node: Node, parsed: ParsedRecord, legacy: Service) -> list[Reference]:
    found: list[Reference] = []
    if parsed.record is None:
        return _broken_record_references(node, parsed.text, legacy)
    for index, term in enumerate(parsed.record.terms):
        target = parsed.targets.get(index)
        # A CNAME to the legacy record is the legacy record: the value names the target as
        # published (what the customer sees in their record), the warning names the CNAME.
        if target is not None and graph.service_domain(target, legacy.matches_spf_domain):
            kind = "spf-include" if term.name == "include" else "spf-redirect"
            found.append(Reference(kind, target, node.path))
            continue
        network = overlapping_network(term, legacy)
        if network is not None:
            found.append(Reference("spf-ip", network, node.path))
    return found


def collect_references(
    graph: SpfGraph, legacy: Service
) -> dict[str, list[tuple[ParsedRecord, list[Reference]]]]:
    """Per domain (in breadth-first order), each record holding legacy terms and those terms."""
    holders: dict[str, list[tuple[ParsedRecord, list[Reference]]]] = {}
    for domain, node in graph.nodes.items():
        if _inside_legacy(graph, node, legacy):
            continue
        for parsed in node.records:
            references = _record_references(graph, node, parsed, legacy)
            if references:
                holders.setdefault(domain, []).append((parsed, references))
    return holders


# -- check_host for the campaign's outbound IPs ---------------------------------------------------


async def _authorizes(
    resolver: Resolver | AnswersInHand, domain: str, service: Service, every: bool
) -> bool | None:
    """every=True: pass for all IPs (successor); every=False: pass for at least one (legacy)."""
    if not service.outbound_ips:
        return None
    sender = f"postmaster@{domain}"
    if len(service.outbound_ips) == 1:  # the usual case: no task to schedule
        results = [await check_host(resolver, str(service.outbound_ips[0]), domain, sender, domain)]
    else:
        results = await asyncio.gather(
            *(check_host(resolver, str(ip), domain, sender, domain) for ip in service.outbound_ips)
        )
    passes = [r.result == "pass" for r in results]
    unknown = any(r.result == "temperror" for r in results)
    if every:
        if any(not p and r.result != "temperror" for p, r in zip(passes, results, strict=True)):
            return False
        return None if unknown else True
    if any(passes):
        return True
    return None if unknown else False


# -- warnings -------------------------------------------------------------------------------------


def _tree_warnings(graph: SpfGraph) -> list[str]:
    warnings: list[str] = []
    root_node = graph.nodes.get(graph.root)
    if root_node is not None and not root_node.lookup.failed and not root_node.records:
        warnings.append(f"{graph.root} publishes no SPF record")
    for domain, node in graph.nodes.items():
        if len(node.records) > 1:
            warnings.append(
                f"{domain} publishes {len(node.records)} SPF records (a permerror at every receiver)"
            )
        if domain != graph.root and not node.records and not node.lookup.failed:
            warnings.append(
                f"{domain} is included from {node.path[-2]} but publishes no SPF record (permerror)"
            )
        for parsed in node.records:
            if parsed.record is None:
                warnings.append(f"{domain}: syntax error: {parsed.error}")
                continue
            if len(parsed.text.encode()) > MAX_RECORD_BYTES:
                warnings.append(
                    f"{domain}: record is {len(parsed.text.encode())} bytes (over {MAX_RECORD_BYTES})"
                )
            mechanisms = parsed.record.mechanisms
            if any(t.name == "ptr" for t in mechanisms):
                warnings.append(f"{domain} uses the ptr mechanism (RFC 7208 5.5: do not use)")
            if any(t.name == "all" and t.qualifier == "+" for t in mechanisms):
                warnings.append(f"{domain} has +all: any host may send mail as this domain")
    warnings.extend(graph.notes)
    warnings.extend(graph.truncated)
    return warnings


# -- the analysis ---------------------------------------------------------------------------------


def _sample_ip(campaign: Campaign) -> str:
    for ip in (*campaign.successor.outbound_ips, *campaign.legacy.outbound_ips):
        if ip.version == 4:
            return str(ip)
    return "192.0.2.1"


async def analyze_spf(resolver: Resolver, domain: str, campaign: Campaign) -> SpfAnalysis:
    """Everything the report needs about the SPF tree of one customer domain."""
    domain = canonical_name(domain)
    ctx = placeholder_context(domain, _sample_ip(campaign))
    graph = await fetch_tree(resolver, domain, ctx)
    probe = await probe_terms(resolver, graph, ctx)
    known = answers_of(graph, probe)
    root_node = graph.nodes.get(domain)
    if root_node is not None and root_node.lookup.failed:
        # check_host() starts with this very TXT question: it could only say temperror,
        # which leaves both answers open (None), so do not ask again.
        authorizes_successor = authorizes_legacy = None
    else:
        # check_host() runs after the tree walk, on the answers the walk already has
        # (every TXT of the tree, the A/MX of its a/mx terms): RFC 7208 evaluation,
        # without asking or waiting again.
        in_hand = AnswersInHand(resolver, known)
        authorizes_successor = await _authorizes(in_hand, domain, campaign.successor, every=True)
        authorizes_legacy = await _authorizes(in_hand, domain, campaign.legacy, every=False)
    legacy = campaign.legacy
    is_legacy = legacy_name(graph, legacy)
    outcome = worst_case(graph, probe.void, is_legacy, probe.mx_overflow)
    holders = collect_references(graph, legacy)
    advised = await advise(
        resolver,
        graph,
        probe,
        known,
        holders,
        campaign,
        ctx,
        is_legacy,
        lambda node: _inside_legacy(graph, node, legacy) or is_legacy(node.domain),
    )
    advice = advised.advice
    suggested = advice.records[0] if advice.records else (None, None)

    root = graph.nodes.get(domain)
    analysis = SpfAnalysis(
        record=root.records[0].text if root is not None and root.records else None,
        records={d: list(n.lookup.records) for d, n in graph.nodes.items() if n.lookup.records},
        dns_lookups=outcome.dns_lookups,
        void_lookups=outcome.void_lookups,
        breaks_on_legacy_removal=bool(outcome.reached_legacy),
        reached_legacy=outcome.reached_legacy,
        authorizes_successor=authorizes_successor,
        authorizes_legacy=authorizes_legacy,
        suggested_record=suggested[1],
        suggested_for=suggested[0],
        references=[ref for found in holders.values() for _, refs in found for ref in refs],
        warnings=_tree_warnings(graph),
        failures=[
            LookupFailure(a.name, a.rdtype, a.failure_reason)
            for a in _unique_answers([*graph.failed_answers, *probe.failed, *advised.failures])
        ],
        complete=not graph.failed_answers and not graph.truncated,
        root_answer=root.lookup.answer if root is not None else None,
        advice=advice,
    )
    if analysis.record is not None and outcome.result in ("permerror", "temperror"):
        analysis.error = f"{outcome.result}: {outcome.detail}"
    elif root is not None and root.lookup.failed:
        analysis.error = f"temperror: {domain} TXT: {root.lookup.answer.outcome}"
    if outcome.dns_lookups > MAX_DNS_TERMS:
        analysis.warnings.append(
            f"{outcome.dns_lookups} DNS-querying terms: over the limit of {MAX_DNS_TERMS}"
        )
    if outcome.void_lookups > MAX_VOID_LOOKUPS:
        analysis.warnings.append(f"{outcome.void_lookups} void lookups: over the limit of {MAX_VOID_LOOKUPS}")
    analysis.warnings.extend(w for w in advised.warnings if w not in analysis.warnings)
    return analysis


def _unique_answers(answers: list[Answer]) -> list[Answer]:
    """Each failed question once (the check may meet a failure the walk already had)."""
    first: dict[tuple[str, str], Answer] = {}
    for answer in answers:
        first.setdefault((answer.name, answer.rdtype), answer)
    return list(first.values())
