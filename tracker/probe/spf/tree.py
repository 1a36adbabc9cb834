"""SPF include-tree analysis for one customer domain (docs/probe-interfaces.md, DESIGN.md).

Fetch the whole tree once (graph.py), then answer from it: which legacy terms
are published (references), whether evaluation reaches them (breaks), what a
receiver gets (evaluation.py), and what the customer should publish instead
(suggest.py). check_host() runs for the campaign's outbound IPs on the same
resolver, whose cache keeps every record fetched once.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from ..campaign import Campaign, Service
from ..domains import canonical_name, registrable_domain
from ..resolver import Answer, Resolver
from .check_host import MAX_DNS_TERMS, MAX_VOID_LOOKUPS, check_host
from .evaluation import worst_case
from .graph import (
    Node,
    ParsedRecord,
    SpfGraph,
    expand_target,
    fetch_tree,
    parse_texts,
    placeholder_context,
)
from .macros import MacroContext
from .suggest import overlapping_network, rewrite_for_successor

MAX_RECORD_BYTES = 450  # RFC 7208 3.4: keep SPF answers within a 512-byte UDP reply
_IP_MACROS = ("%{i", "%{c", "%{p")


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
    reached_legacy: list[tuple[str, ...]] = field(default_factory=list)  # evaluation paths to legacy targets


# -- references ---------------------------------------------------------------------------------


def _inside_legacy(node: Node, legacy: Service) -> bool:
    """The legacy service's own records (and below) are not the customer's to clean up."""
    return any(legacy.matches_spf_domain(domain) for domain in node.path[1:])


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


def _record_references(node: Node, parsed: ParsedRecord, legacy: Service) -> list[Reference]:
    found: list[Reference] = []
    if parsed.record is None:
        return _broken_record_references(node, parsed.text, legacy)
    for index, term in enumerate(parsed.record.terms):
        target = parsed.targets.get(index)
        if target is not None and legacy.matches_spf_domain(target):
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
        if _inside_legacy(node, legacy):
            continue
        for parsed in node.records:
            references = _record_references(node, parsed, legacy)
            if references:
                holders.setdefault(domain, []).append((parsed, references))
    return holders


# -- void lookups of a/mx terms -------------------------------------------------------------------


async def _probe_void_terms(
    resolver: Resolver, graph: SpfGraph, ctx: MacroContext
) -> tuple[set[tuple[str, int]], list[Answer], dict[tuple[str, str], Answer]]:
    """Ask the A/MX question of every a/mx term before `all`, as a receiver would (IPv4 view)."""
    questions: list[tuple[str, int, str, str]] = []
    for domain, node in graph.nodes.items():
        parsed = node.record
        if parsed is None or parsed.record is None:
            continue
        local = MacroContext(ip=ctx.ip, sender=ctx.sender, domain=domain, helo=ctx.helo)
        for index, term in enumerate(parsed.record.terms):
            if term.kind == "mechanism" and term.name == "all":
                break
            if term.kind != "mechanism" or term.name not in ("a", "mx"):
                continue
            if term.value and any(m in term.value.lower() for m in _IP_MACROS):
                continue
            target = domain if term.value is None else expand_target(term, local)
            if target is not None:
                questions.append((domain, index, target, "A" if term.name == "a" else "MX"))
    if len(questions) <= 1:  # most records have at most one a/mx term: no task for it
        answers = [await resolver.query(target, rdtype) for _, _, target, rdtype in questions]
    else:
        answers = await asyncio.gather(
            *(resolver.query(target, rdtype) for _, _, target, rdtype in questions)
        )
    void = {(d, i) for (d, i, _, _), answer in zip(questions, answers, strict=True) if answer.void}
    failed = [answer for answer in answers if answer.failed]
    known = {
        (target, rdtype): answer for (_, _, target, rdtype), answer in zip(questions, answers, strict=True)
    }
    return void, failed, known


class _AnswersInHand:
    """The resolver as check_host() sees it after the tree walk: answers already fetched come first.

    check_host() then evaluates exactly what the tree walk saw (a failed TXT is the
    same failure, not a second round of timeouts) and asks the resolver only for
    what the walk did not ask (A of MX hosts, exists:, ptr).
    """

    __slots__ = ("known", "resolver")

    def __init__(self, resolver: Resolver, known: dict[tuple[str, str], Answer]):
        self.resolver = resolver
        self.known = known

    async def query(self, name: str, rdtype: str) -> Answer:
        answer = self.known.get((name, rdtype))
        if answer is not None:
            return answer
        return await self.resolver.query(name, rdtype)


# -- check_host for the campaign's outbound IPs ---------------------------------------------------


async def _authorizes(
    resolver: Resolver | _AnswersInHand, domain: str, service: Service, every: bool
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


# -- suggestion -----------------------------------------------------------------------------------


async def _verify_lookups(
    resolver: Resolver, graph: SpfGraph, holder: str, text: str, campaign: Campaign, ctx: MacroContext
) -> list[str]:
    """Evaluate the customer's tree with the rewritten record in place; warn if it breaks a limit."""
    nodes = dict(graph.nodes)
    old = nodes[holder]
    nodes[holder] = Node(holder, old.path, old.lookup, parse_texts(holder, (text,), ctx, [], []), old.depth)
    for domain in campaign.successor.spf_includes[:1]:
        if domain not in nodes:
            extra = await fetch_tree(resolver, domain, ctx)
            for name, node in extra.nodes.items():
                nodes.setdefault(name, node)
    rewritten = SpfGraph(root=graph.root, nodes=nodes)
    outcome = worst_case(rewritten, set(), campaign.legacy.matches_spf_domain)
    notes = []
    if outcome.dns_lookups > MAX_DNS_TERMS:
        notes.append(
            f"the suggested record makes the tree need {outcome.dns_lookups} DNS-querying terms "
            f"(over {MAX_DNS_TERMS}): flatten some includes before publishing it"
        )
    elif outcome.result in ("permerror", "temperror"):
        notes.append(
            f"with the suggested record the tree still evaluates to {outcome.result}: {outcome.detail}"
        )
    return notes


async def _suggest(
    resolver: Resolver,
    graph: SpfGraph,
    holders: dict[str, list[tuple[ParsedRecord, list[Reference]]]],
    campaign: Campaign,
    ctx: MacroContext,
) -> tuple[str | None, str | None, list[str]]:
    # A record with a syntax error cannot be rewritten term by term: say so instead.
    broken = [d for d, items in holders.items() if any(p.record is None for p, _ in items)]
    holders = {d: [(p, r) for p, r in items if p.record is not None] for d, items in holders.items()}
    holders = {d: items for d, items in holders.items() if items}
    broken_notes = [
        f"{d}: its SPF record has a syntax error; fix it and remove the legacy term by hand" for d in broken
    ]
    if not holders:
        return None, None, broken_notes
    root = graph.root
    own = registrable_domain(root)
    controlled = [d for d in holders if d == root or registrable_domain(d) == own]
    notes = broken_notes + [
        f"legacy reference in {d}, which is not under {own}: its owner has to change it"
        for d in holders
        if d not in controlled
    ]
    if not controlled:
        return None, None, notes
    holder = root if root in holders else controlled[0]
    notes.extend(f"legacy reference also in {d}: rewrite that record too" for d in controlled if d != holder)
    parsed = holders[holder][0][0]
    if len(graph.nodes[holder].records) > 1:
        notes.append(
            f"{holder} publishes several SPF records: the suggestion rewrites the first with legacy terms"
        )
    text, rewrite_notes = rewrite_for_successor(parsed, campaign.legacy, campaign.successor)
    notes.extend(rewrite_notes)
    notes.extend(await _verify_lookups(resolver, graph, holder, text, campaign, ctx))
    return text, holder, notes


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
    void_terms, failed_probes, known = await _probe_void_terms(resolver, graph, ctx)
    root_node = graph.nodes.get(domain)
    if root_node is not None and root_node.lookup.failed:
        # check_host() starts with this very TXT question: it could only say temperror,
        # which leaves both answers open (None), so do not ask again.
        authorizes_successor = authorizes_legacy = None
    else:
        # check_host() runs after the tree walk, on the answers the walk already has
        # (every TXT of the tree, the A/MX of its a/mx terms): RFC 7208 evaluation,
        # without asking or waiting again.
        for name, node in graph.nodes.items():
            known[(name, "TXT")] = node.lookup.answer
        in_hand = _AnswersInHand(resolver, known)
        authorizes_successor = await _authorizes(in_hand, domain, campaign.successor, every=True)
        authorizes_legacy = await _authorizes(in_hand, domain, campaign.legacy, every=False)
    legacy = campaign.legacy
    outcome = worst_case(graph, void_terms, legacy.matches_spf_domain)
    holders = collect_references(graph, legacy)
    suggested, suggested_for, suggest_notes = await _suggest(resolver, graph, holders, campaign, ctx)

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
        suggested_record=suggested,
        suggested_for=suggested_for,
        references=[ref for found in holders.values() for _, refs in found for ref in refs],
        warnings=_tree_warnings(graph),
        failures=[
            LookupFailure(a.name, a.rdtype, a.failure_reason)
            for a in [*graph.failed_answers, *failed_probes]
        ],
        complete=not graph.failed_answers and not graph.truncated,
        root_answer=root.lookup.answer if root is not None else None,
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
    analysis.warnings.extend(suggest_notes)
    return analysis
