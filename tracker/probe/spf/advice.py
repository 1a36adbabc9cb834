"""What a customer should change in SPF for the campaign, and whether we can promise it.

`advise()` answers with one status (the Django side reads `status` and
`reasons`, never the words of `message` or of the warnings):
- verified: publish `records` (the first is `suggested_record` at `suggested_for`);
  checked as verify.py says before it was offered.
- not_needed: no record the customer controls has to change (reasons may note a
  kept wider block, or a reference only its owner can remove, that breaks nothing).
- withheld: a change is needed, but none we could check passes (the reasons say why).
- fix_first: the current record is already broken for other reasons (a permerror,
  several SPF records, a syntax error): no rewrite, the message says what to fix.
- unknown: a lookup failed or the tree was cut, so nothing can be promised,
  not even "nothing to change".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..campaign import Campaign
from ..domains import registrable_domain
from ..limits import SPF_MAX_DNS_LOOKUPS
from ..resolver import Answer, Resolver
from .answers import TermProbe
from .errors import shown
from .evaluation import (
    INCLUDE_LOOP,
    INCLUDE_WITHOUT_SPF,
    INVALID_TARGET,
    LOOKUP_FAILED,
    MULTIPLE_RECORDS,
    SYNTAX_ERROR,
    TOO_MANY_LOOKUPS,
    TOO_MANY_MX_HOSTS,
    TOO_MANY_VOID_LOOKUPS,
    TREE_INCOMPLETE,
    worst_case,
)
from .graph import Node, ParsedRecord, SpfGraph, parse_texts, reaches
from .macros import MacroContext
from .suggest import LEGACY, SUCCESSOR, RecordRewrite, rewrite_record
from .verify import (
    LEGACY_STILL_REACHED,
    SENDER_RESULT_CHANGED,
    SUCCESSOR_NOT_AUTHORIZED,
    Check,
    Problem,
    check_records,
    describe_error,
)

VERIFIED, NOT_NEEDED, WITHHELD, FIX_FIRST, UNKNOWN = (
    "verified",
    "not_needed",
    "withheld",
    "fix_first",
    "unknown",
)
STATUSES = (VERIFIED, NOT_NEEDED, WITHHELD, FIX_FIRST, UNKNOWN)

NOT_CHECKED = "not_checked"  # the SPF part did not run (time budget, internal error)
OUTSIDE_CUSTOMER_DOMAIN = "outside_customer_domain"  # a legacy reference in a record of someone else
NO_SUCCESSOR_INCLUDE = "no_successor_include"  # the campaign names no successor SPF domain to include
NO_SUCCESSOR_IPS = "no_successor_ips"  # note: the campaign lists no successor IPs to test with
WIDER_BLOCK_KEPT = "wider_block_kept"  # note: a customer block that also covers a legacy range stays
INCLUDE_VIA_CNAME = "include_via_cname"  # note: an include whose target is a CNAME to the legacy record
SEVERAL_RECORDS = "several_records"  # note: more than one record has to be published

# Every reason code, for the Django side to rely on (messages are for people, codes for code).
REASONS = (
    LOOKUP_FAILED,
    TREE_INCOMPLETE,
    NOT_CHECKED,
    MULTIPLE_RECORDS,
    SYNTAX_ERROR,
    TOO_MANY_LOOKUPS,
    TOO_MANY_VOID_LOOKUPS,
    TOO_MANY_MX_HOSTS,
    INCLUDE_LOOP,
    INCLUDE_WITHOUT_SPF,
    INVALID_TARGET,
    "permerror",
    SUCCESSOR_NOT_AUTHORIZED,
    SENDER_RESULT_CHANGED,
    LEGACY_STILL_REACHED,
    OUTSIDE_CUSTOMER_DOMAIN,
    NO_SUCCESSOR_INCLUDE,
    NO_SUCCESSOR_IPS,
    WIDER_BLOCK_KEPT,
    INCLUDE_VIA_CNAME,
    SEVERAL_RECORDS,
)

Holders = dict[str, list[tuple[ParsedRecord, list[Any]]]]


@dataclass
class Advice:
    """The report's `spf.advice`: a status and reason codes for code, a message for people."""

    status: str
    reasons: list[str] = field(default_factory=list)
    message: str = ""
    lookups: int | None = None  # DNS-querying terms the suggested tree needs (when one was checked)
    void_lookups: int | None = None
    records: list[tuple[str, str]] = field(default_factory=list)  # (where, record) to publish, verified only
    senders_checked: list[str] = field(default_factory=list)  # sample senders kept authorized

    @classmethod
    def not_checked(cls, why: str) -> Advice:
        return cls(UNKNOWN, [NOT_CHECKED], f"Not known yet: the SPF check did not finish ({why}).")

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reasons": list(self.reasons),
            "message": self.message,
            "lookups": self.lookups,
            "void_lookups": self.void_lookups,
            "records": [{"domain": domain, "record": record} for domain, record in self.records],
            "senders_checked": list(self.senders_checked),
        }


@dataclass
class AdviceOutcome:
    advice: Advice
    warnings: list[str] = field(default_factory=list)
    failures: list[Answer] = field(default_factory=list)  # lookups that failed while checking


async def advise(
    resolver: Resolver,
    graph: SpfGraph,
    probe: TermProbe,
    known: dict[tuple[str, str], Answer],
    holders: Holders,
    campaign: Campaign,
    ctx: MacroContext,
    is_legacy_name: Callable[[str], bool],
    is_inside_legacy: Callable[[Node], bool],
) -> AdviceOutcome:
    """The advice for one customer's tree (holders: the records with legacy terms, by domain).

    is_legacy_name: a legacy SPF domain or a CNAME to one; is_inside_legacy: a node at or below one.
    """
    failures = [*graph.failed_answers, *probe.failed]
    if failures or graph.truncated:
        return _unknown(failures, graph.truncated)
    if not holders:
        return AdviceOutcome(
            Advice(NOT_NEEDED, message=f"Nothing to change in SPF for {campaign.legacy.name}.")
        )
    broken = _broken_holders(graph, holders)
    if broken is not None:
        return _fix_first(*broken, campaign)
    today = worst_case(
        _legacy_matching_nothing(graph, is_legacy_name, ctx), probe.void, lambda _: False, probe.mx_overflow
    )
    if today.result == "permerror":
        return _fix_first(today.code or "permerror", describe_error(today, "is"), campaign)
    return await _rewrite_and_check(resolver, graph, known, holders, campaign, ctx, is_inside_legacy)


async def _rewrite_and_check(
    resolver: Resolver,
    graph: SpfGraph,
    known: dict[tuple[str, str], Answer],
    holders: Holders,
    campaign: Campaign,
    ctx: MacroContext,
    is_inside_legacy: Callable[[Node], bool],
) -> AdviceOutcome:
    """Rewrite the records the customer controls, check them all together, say what came of it."""
    own = registrable_domain(graph.root)
    controlled = [d for d in holders if _owned(graph.nodes[d].owner, graph.root, own)]
    outside = [d for d in holders if d not in controlled]
    warnings = [
        f"{graph.nodes[d].owner} (not under {own}) holds a reference to {campaign.legacy.name}:"
        " its owner has to change it"
        for d in outside
    ]
    notes = [OUTSIDE_CUSTOMER_DOMAIN] if outside else []
    rewrites = _rewrite(graph, {d: holders[d] for d in controlled}, campaign, ctx)
    if any(rewrite.needs_successor_domain for _, rewrite in rewrites):
        text = f"the campaign names no SPF domain of {campaign.successor.name} to include"
        return _withheld([Problem(NO_SUCCESSOR_INCLUDE, text)], notes, warnings, None)
    for domain, rewrite in rewrites:
        notes.extend(_rewrite_notes(domain, rewrite, warnings, campaign))
    texts = {graph.nodes[d].owner: r.text for d, r in rewrites if r.changed}
    check = await check_records(resolver, graph, known, texts, campaign, ctx, is_inside_legacy)
    if not campaign.successor.outbound_ips:
        notes.append(NO_SUCCESSOR_IPS)
    if check.unknown:
        outcome = _unknown([], [], check.unknown)
    elif check.problems:
        outcome = _withheld(check.problems, notes, warnings, check)
    elif not texts:
        message = f"Nothing to publish for {campaign.successor.name}"
        if WIDER_BLOCK_KEPT in notes:
            message += ": narrow the address blocks that also cover the legacy servers when you can"
        advice = Advice(NOT_NEEDED, _unique(notes), message + ".", check.lookups, check.void_lookups)
        outcome = AdviceOutcome(advice, warnings)
    else:
        records = _in_tree_order(graph, texts)
        if len(records) > 1:
            notes.append(SEVERAL_RECORDS)
            warnings.extend(f"also publish this SPF record at {where}: {text}" for where, text in records[1:])
        message = _verified_message(records, check, campaign)
        advice = Advice(
            VERIFIED,
            _unique(notes),
            message,
            check.lookups,
            check.void_lookups,
            records,
            check.senders_checked,
        )
        outcome = AdviceOutcome(advice, warnings)
    outcome.failures = check.failures
    return outcome


# -- before any rewrite ---------------------------------------------------------------------------


def _unknown(
    failures: list[Answer], truncated: list[str], problems: list[Problem] | None = None
) -> AdviceOutcome:
    reasons, parts = [], []
    if failures:
        reasons.append(LOOKUP_FAILED)
        first = failures[0]
        parts.append(f"the lookup of {first.name} {first.rdtype} failed ({first.failure_reason})")
    if truncated:
        reasons.append(TREE_INCOMPLETE)
        parts.append(f"part of the SPF tree was not looked at ({truncated[0]})")
    for problem in problems or []:
        reasons.append(problem.code)
        parts.append(problem.text)
    message = f"Not known yet: {'; '.join(parts)}. We check again on the next sweep."
    return AdviceOutcome(Advice(UNKNOWN, _unique(reasons), message))


def _broken_holders(graph: SpfGraph, holders: Holders) -> tuple[str, str] | None:
    """A record with legacy terms that cannot be rewritten term by term: (code, what to fix)."""
    for domain, found in holders.items():
        node = graph.nodes[domain]
        if len(node.records) > 1:
            shown_records = " and ".join(shown(parsed.text) for parsed in node.records)
            return (
                MULTIPLE_RECORDS,
                f"{node.owner} publishes {len(node.records)} SPF records ({shown_records}), which every"
                f" receiver treats as a permerror: replace {'both' if len(node.records) == 2 else 'them'}"
                " with one record",
            )
        for parsed, _ in found:
            if parsed.record is None:
                return (
                    SYNTAX_ERROR,
                    f"the SPF record of {node.owner} has a syntax error ({parsed.error}): correct it",
                )
    return None


def _fix_first(code: str, what: str, campaign: Campaign) -> AdviceOutcome:
    message = f"Fix this first: {what}. Then we can suggest the change for {campaign.successor.name}."
    return AdviceOutcome(Advice(FIX_FIRST, [code], message), [message])


def _legacy_matching_nothing(
    graph: SpfGraph, is_legacy_name: Callable[[str], bool], ctx: MacroContext
) -> SpfGraph:
    """The tree as it authorizes today without the legacy service: its records match nothing."""
    nodes = dict(graph.nodes)
    for domain, node in graph.nodes.items():
        if is_legacy_name(domain):
            empty = parse_texts(domain, ("v=spf1",), ctx, [], [])
            nodes[domain] = Node(domain, node.path, node.lookup, empty, node.depth)
    return SpfGraph(root=graph.root, nodes=nodes)


def _owned(owner: str, root: str, own: str) -> bool:
    return owner == root or registrable_domain(owner) == own


# -- rewriting --------------------------------------------------------------------------------------


def _rewrite(
    graph: SpfGraph, holders: Holders, campaign: Campaign, ctx: MacroContext
) -> list[tuple[str, RecordRewrite]]:
    """Rewrite every record the customer controls, deepest first, so a parent sees what its child
    now reaches (the successor added in a nested record is not added again above it)."""
    legacy, successor = campaign.legacy, campaign.successor
    is_successor = successor.matches_spf_domain
    successor_domain = successor.spf_includes[0] if successor.spf_includes else None
    rewritten: dict[str, ParsedRecord] = {}

    def service_of(target: str) -> tuple[str, str] | None:
        found = graph.service_domain(target, legacy.matches_spf_domain)
        if found is not None:
            return LEGACY, found
        found = graph.service_domain(target, successor.matches_spf_domain)
        return (SUCCESSOR, found) if found is not None else None

    def record_of(name: str) -> ParsedRecord | None:
        if name in rewritten:
            return rewritten[name]
        node = graph.nodes.get(name)
        return node.record if node is not None and service_of(name) is None else None

    def reaches_successor(target: str) -> bool:
        return reaches(
            graph, target, lambda name: graph.service_domain(name, is_successor) is not None, record_of
        )

    results = []
    for domain in sorted(holders, key=lambda d: -graph.nodes[d].depth):
        parsed = holders[domain][0][0]
        rewrite = rewrite_record(parsed, legacy, successor_domain, service_of, reaches_successor)
        if rewrite.changed:
            rewritten[domain] = parse_texts(domain, (rewrite.text,), ctx, [], [])[0]
        results.append((domain, rewrite))
    return results


def _rewrite_notes(domain: str, rewrite: RecordRewrite, warnings: list[str], campaign: Campaign) -> list[str]:
    notes = []
    for block in rewrite.wider_blocks:
        notes.append(WIDER_BLOCK_KEPT)
        warnings.append(
            f"{domain}: {shown(block)} also covers {campaign.legacy.name}'s servers; it is kept because it"
            " covers other addresses too: narrow it once the legacy servers are gone"
        )
    for target, legacy_domain in rewrite.via_cname:
        notes.append(INCLUDE_VIA_CNAME)
        warnings.append(
            f"{domain}: include:{target} is a CNAME to {campaign.legacy.name}'s record {legacy_domain}; the"
            f" suggestion replaces the include in {domain}. If other records include {target}, point that"
            f" CNAME at {campaign.successor.name}'s SPF domain or remove it"
        )
    return notes


# -- after the check ------------------------------------------------------------------------------


def _withheld(
    problems: list[Problem], notes: list[str], warnings: list[str], check: Check | None
) -> AdviceOutcome:
    message = f"No record suggested: {'; '.join(p.text for p in problems)}."
    advice = Advice(
        WITHHELD,
        _unique([*(p.code for p in problems), *notes]),
        message,
        check.lookups if check is not None else None,
        check.void_lookups if check is not None else None,
    )
    return AdviceOutcome(advice, [*warnings, message])


def _in_tree_order(graph: SpfGraph, texts: dict[str, str]) -> list[tuple[str, str]]:
    """The records to publish, the customer's own domain first, then as the tree reaches them."""
    order = {node.owner: position for position, node in enumerate(graph.nodes.values())}
    return sorted(texts.items(), key=lambda item: (item[0] != graph.root, order.get(item[0], len(order))))


def _verified_message(records: list[tuple[str, str]], check: Check, campaign: Campaign) -> str:
    domain, text = records[0]
    parts = [f"Publish this SPF record at {domain}: {text}"]
    parts.extend(f"and this one at {other}: {other_text}" for other, other_text in records[1:])
    checked = []
    if campaign.successor.outbound_ips:
        checked.append(f"{campaign.successor.name}'s servers pass")
    if check.senders_checked:
        count = len(check.senders_checked)
        checked.append(
            "the sender of yours we tried still passes"
            if count == 1
            else f"the {count} senders of yours we tried still pass"
        )
    checked.append(f"{check.lookups} of the {SPF_MAX_DNS_LOOKUPS} DNS lookups allowed")
    return f"{'; '.join(parts)} (checked: {', '.join(checked)})."


def _unique(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(codes))
