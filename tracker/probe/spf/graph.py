"""Fetching a domain's whole SPF tree: every include and redirect, bounded.

Everything a domain publishes is fetched, also targets of terms after `all`
and of every record when a domain publishes several, because a legacy term
there is still a reference to clean up (docs/domain-report.md, "references").
Each name is fetched once (the resolver cache shares it across domains).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from ..resolver import Answer, Resolver
from .errors import shown
from .lookup import SpfLookup, fetch_spf
from .macros import MacroContext, expand_domain_spec
from .names import query_name
from .parser import SpfRecord, SpfSyntaxError, Term, parse_record

MAX_TREE_DEPTH = 20  # include/redirect levels below the customer's domain
MAX_TREE_DOMAINS = 100  # distinct domains fetched for one analysis
MAX_TERMS_PER_RECORD = 1000  # a 450-byte record has well under 100; beyond this is hostile
_IP_MACROS = ("%{i", "%{c", "%{p", "%{I", "%{C", "%{P")


@dataclass
class ParsedRecord:
    """One `v=spf1` text of a domain, parsed (or why not), with its include/redirect targets."""

    text: str
    record: SpfRecord | None
    error: str | None = None
    targets: dict[int, str | None] = field(default_factory=dict)  # term index -> expanded domain


@dataclass
class Node:
    """One domain of the tree: its lookup, its records, and how it was first reached."""

    domain: str
    path: tuple[str, ...]
    lookup: SpfLookup
    records: list[ParsedRecord]
    depth: int

    @property
    def record(self) -> ParsedRecord | None:
        """The record a receiver evaluates (None when there is none, or several)."""
        return self.records[0] if len(self.records) == 1 else None

    @property
    def aliases(self) -> tuple[str, ...]:
        """The CNAME chain of the TXT answer: `include:_spf.x` may really be another domain's record."""
        return self.lookup.answer.aliases

    @property
    def owner(self) -> str:
        """Where the record is published (the end of the CNAME chain): where a change must be made."""
        return self.lookup.answer.canonical_name


@dataclass
class SpfGraph:
    """The fetched tree: nodes by domain, plus what could not be looked at."""

    root: str
    nodes: dict[str, Node] = field(default_factory=dict)
    failed_answers: list[Answer] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)  # why parts were not looked at
    notes: list[str] = field(default_factory=list)  # warnings found while fetching

    def names_of(self, domain: str) -> tuple[str, ...]:
        """The domain and the CNAME targets its TXT answer went through."""
        node = self.nodes.get(domain)
        return (domain, *node.aliases) if node is not None else (domain,)

    def service_domain(self, domain: str, matches: Callable[[str], bool]) -> str | None:
        """The service SPF domain that `domain` is, or is a CNAME to (at any hop), else None."""
        return next((name for name in self.names_of(domain) if matches(name)), None)


def effective_targets(parsed: ParsedRecord) -> list[str]:
    """Targets evaluation can reach: include: before `all`, redirect= of a record without `all`."""
    if parsed.record is None:
        return []
    terms = parsed.record.terms
    all_index = next((i for i, t in enumerate(terms) if t.kind == "mechanism" and t.name == "all"), None)
    found = []
    for index, target in parsed.targets.items():
        if target is None:
            continue
        if terms[index].kind == "mechanism" and (all_index is None or index < all_index):
            found.append(target)
        elif terms[index].kind == "modifier" and all_index is None:
            found.append(target)
    return found


def reaches(
    graph: SpfGraph,
    target: str,
    wanted: Callable[[str], bool],
    record_of: Callable[[str], ParsedRecord | None] | None = None,
) -> bool:
    """Whether evaluating an include of `target` can get to a name `wanted` accepts (through
    effective includes and redirects); `record_of` may stand in rewritten records."""
    seen: set[str] = set()
    pending = [target]
    while pending:
        name = pending.pop()
        if wanted(name):
            return True
        if name in seen:
            continue
        seen.add(name)
        if record_of is not None:
            parsed = record_of(name)
        else:
            node = graph.nodes.get(name)
            parsed = node.record if node is not None else None
        if parsed is not None:
            pending.extend(effective_targets(parsed))
    return False


def placeholder_context(customer: str, ip: str = "192.0.2.1") -> MacroContext:
    """Macro values for walking the tree without a real message: the customer's postmaster."""
    return MacroContext(
        ip=ipaddress.ip_address(ip), sender=f"postmaster@{customer}", domain=customer, helo=customer
    )


def points_to_record(term: Term) -> bool:
    """include: and redirect= name another SPF record (an unknown modifier called "include" does not)."""
    return (term.kind, term.name) in (("mechanism", "include"), ("modifier", "redirect"))


def expand_target(term: Term, ctx: MacroContext) -> str | None:
    if term.value is None:
        return None
    try:
        return query_name(expand_domain_spec(term.value, ctx))
    except SpfSyntaxError:
        return None


def parse_texts(
    domain: str, texts: tuple[str, ...], ctx: MacroContext, notes: list[str], truncated: list[str]
) -> list[ParsedRecord]:
    """Parse every record of a domain and expand its include/redirect targets."""
    parsed: list[ParsedRecord] = []
    for text in texts:
        try:
            record = parse_record(text)
        except SpfSyntaxError as exc:
            parsed.append(ParsedRecord(text, None, str(exc)))
            continue
        if len(record.terms) > MAX_TERMS_PER_RECORD:
            truncated.append(
                f"{domain}: record has {len(record.terms)} terms; only the first {MAX_TERMS_PER_RECORD} were followed"
            )
        local = MacroContext(ip=ctx.ip, sender=ctx.sender, domain=domain, helo=ctx.helo)
        targets: dict[int, str | None] = {}
        for index, term in enumerate(record.terms[:MAX_TERMS_PER_RECORD]):
            if points_to_record(term):
                if term.value and any(m in term.value for m in _IP_MACROS):
                    notes.append(
                        f"{domain}: {shown(term.text)} depends on the client IP; followed for one sample IP"
                    )
                targets[index] = expand_target(term, local)
        parsed.append(ParsedRecord(text, record, None, targets))
    return parsed


async def fetch_tree(resolver: Resolver, customer: str, ctx: MacroContext) -> SpfGraph:
    """Breadth-first over includes and redirects, so each domain keeps its shortest path."""
    graph = SpfGraph(root=customer)
    level: list[tuple[str, tuple[str, ...]]] = [(customer, (customer,))]
    depth = 0
    while level:
        if depth > MAX_TREE_DEPTH:
            graph.truncated.append(f"include chain deeper than {MAX_TREE_DEPTH} levels (at {level[0][0]})")
            break
        if len(level) == 1:  # the usual case (one include per level): no task to schedule
            lookups = [await fetch_spf(resolver, level[0][0])]
        else:
            lookups = await asyncio.gather(*(fetch_spf(resolver, domain) for domain, _ in level))
        next_level: list[tuple[str, tuple[str, ...]]] = []
        for (domain, path), lookup in zip(level, lookups, strict=True):
            if lookup.failed:
                graph.failed_answers.append(lookup.answer)
            if lookup.answer.detail and not lookup.failed:
                graph.truncated.append(f"{domain} TXT answer was cut: {lookup.answer.detail}")
            records = parse_texts(domain, lookup.records, ctx, graph.notes, graph.truncated)
            graph.nodes[domain] = Node(domain, path, lookup, records, depth)
            for parsed in records:
                for target in parsed.targets.values():
                    if target is None or target in graph.nodes or any(target == d for d, _ in next_level):
                        continue
                    if len(graph.nodes) + len(next_level) >= MAX_TREE_DOMAINS:
                        if not any("more than" in t for t in graph.truncated):
                            graph.truncated.append(f"tree has more than {MAX_TREE_DOMAINS} domains")
                        continue
                    next_level.append((target, (*path, target)))
        level = [(d, p) for d, p in next_level if d not in graph.nodes]
        depth += 1
    return graph
