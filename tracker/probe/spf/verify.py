"""Checking rewritten records before they are offered (advice we guarantee, not a text edit: docs/domain-report.md).

The check runs on the answers the tree walk already has, with the rewritten
records in place, the successor's records (asked of the real resolver, so
cached for the whole sweep) and the legacy SPF records deleted: every legacy
name, and every CNAME that ends at one, answers NXDOMAIN. Then:
1. the rewritten tree stays within the RFC 7208 limits (10 DNS-querying terms,
   2 void lookups) and reaches no legacy record any more;
2. check_host() gives `pass` for every successor outbound IP;
3. every sample sender (samples.py) that passes today other than through the
   legacy service still passes. "Today" is the current tree with the legacy
   records matching nothing, which is exactly what the customer authorizes
   besides the legacy service, also after the legacy record is gone.
A failed lookup on the way makes the outcome unknown, never a pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..campaign import Campaign
from ..resolver import Answer, Outcome, Resolver
from .answers import probe_terms
from .check_host import MAX_DNS_TERMS, MAX_MX_NAMES, MAX_VOID_LOOKUPS, check_host
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
    WorstCase,
    worst_case,
)
from .graph import Node, SpfGraph, fetch_tree, reaches
from .macros import MacroContext
from .parser import is_spf_record
from .samples import sample_senders

# Codes a check can fail with, besides evaluation.py's error codes.
SUCCESSOR_NOT_AUTHORIZED = "successor_not_authorized"
SENDER_RESULT_CHANGED = "sender_result_changed"
LEGACY_STILL_REACHED = "legacy_still_reached"

EMPTY_SPF = ("v=spf1",)  # the legacy record "matching nothing": how today is judged without it


@dataclass(frozen=True)
class Problem:
    """Why a record cannot be offered: a stable code and words a rep can pass on."""

    code: str
    text: str


@dataclass
class Check:
    """The outcome of checking a set of rewritten records."""

    problems: list[Problem] = field(default_factory=list)
    unknown: list[Problem] = field(default_factory=list)  # lookups that failed: nothing can be promised
    lookups: int | None = None
    void_lookups: int | None = None
    senders_checked: list[str] = field(default_factory=list)
    failures: list[Answer] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems and not self.unknown


class WhatIfDns:
    """The DNS as the rewritten tree would see it; `legacy_txt` None = legacy records deleted."""

    def __init__(
        self,
        resolver: Resolver,
        known: dict[tuple[str, str], Answer],
        published: dict[str, str],
        is_legacy: Callable[[str], bool],
        legacy_txt: tuple[str, ...] | None,
    ):
        self.resolver = resolver
        self.known = known
        self.published = published  # owner name -> its TXT records with the SPF record rewritten
        self.is_legacy = is_legacy
        self.legacy_txt = legacy_txt
        self.failed: list[Answer] = []

    async def query(self, name: str, rdtype: str) -> Answer:
        if self.is_legacy(name):
            return self._legacy(name, rdtype, ())
        answer = self.known.get((name, rdtype))
        if answer is None:
            answer = await self.resolver.query(name, rdtype)
            if answer.failed:
                self.failed.append(answer)
        if answer.aliases and any(self.is_legacy(alias) for alias in answer.aliases):
            return self._legacy(name, rdtype, answer.aliases)
        if rdtype == "TXT" and answer.canonical_name in self.published:
            return Answer(
                name, "TXT", Outcome.NOERROR, self.published[answer.canonical_name], aliases=answer.aliases
            )
        return answer

    def _legacy(self, name: str, rdtype: str, aliases: tuple[str, ...]) -> Answer:
        if self.legacy_txt is None or rdtype != "TXT":
            return Answer(name, rdtype, Outcome.NXDOMAIN, aliases=aliases)
        return Answer(name, rdtype, Outcome.NOERROR, self.legacy_txt, aliases=aliases)


def published_txt(graph: SpfGraph, texts: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Per owner name, its whole TXT answer with the (one) SPF record replaced by the new text."""
    published: dict[str, tuple[str, ...]] = {}
    owners = {node.owner: node for node in graph.nodes.values()}
    for owner, text in texts.items():
        node = owners.get(owner)
        old = node.lookup.answer.records if node is not None else ()
        replaced, done = [], False
        for txt in old:
            if not done and is_spf_record(txt):
                replaced.append(text)
                done = True
            else:
                replaced.append(txt)
        published[owner] = tuple(replaced if done else [*replaced, text])
    return published


async def check_records(
    resolver: Resolver,
    graph: SpfGraph,
    known: dict[tuple[str, str], Answer],
    texts: dict[str, str],
    campaign: Campaign,
    ctx: MacroContext,
    is_inside_legacy: Callable[[Node], bool],
) -> Check:
    """Check the tree with `texts` (owner name -> new SPF record) published and the legacy records gone."""
    legacy = campaign.legacy.matches_spf_domain
    after = WhatIfDns(resolver, known, published_txt(graph, texts), legacy, None)
    today = WhatIfDns(resolver, known, {}, legacy, EMPTY_SPF)
    check = Check()
    try:
        rewritten = await _check_limits(after, graph.root, campaign, ctx, check)
        if not check.problems and not check.unknown:
            await _check_successor(after, rewritten, campaign, check)
        if not check.problems and not check.unknown:
            await _check_senders(today, after, graph, campaign, ctx, is_inside_legacy, check)
    finally:
        check.failures = [*after.failed, *today.failed]
    if check.failures and not check.unknown:
        failure = check.failures[0]
        check.unknown.append(Problem(LOOKUP_FAILED, _lookup_failed(failure)))
    return check


async def _check_limits(
    after: WhatIfDns, root: str, campaign: Campaign, ctx: MacroContext, check: Check
) -> SpfGraph:
    """The rewritten tree (fetched through `after`), judged as a receiver would for unmatched mail."""
    rewritten = await fetch_tree(after, root, ctx)
    probe = await probe_terms(after, rewritten, ctx)
    if rewritten.failed_answers or probe.failed:
        failure = (rewritten.failed_answers or probe.failed)[0]
        check.unknown.append(Problem(LOOKUP_FAILED, _lookup_failed(failure)))
        return rewritten
    if rewritten.truncated:
        check.unknown.append(
            Problem(TREE_INCOMPLETE, f"part of the new SPF tree was not looked at: {rewritten.truncated[0]}")
        )
        return rewritten

    def is_legacy(name: str) -> bool:
        return rewritten.service_domain(name, campaign.legacy.matches_spf_domain) is not None

    outcome = worst_case(rewritten, probe.void, is_legacy, probe.mx_overflow)
    check.lookups, check.void_lookups = outcome.dns_lookups, outcome.void_lookups
    if outcome.reached_legacy:
        path = outcome.reached_legacy[0]
        check.problems.append(
            Problem(
                LEGACY_STILL_REACHED,
                f"{path[-2]} would still include {campaign.legacy.name}'s record {path[-1]}"
                f" ({' > '.join(path)}), which is to be deleted: that include has to go first",
            )
        )
    if outcome.dns_lookups > MAX_DNS_TERMS:
        check.problems.append(Problem(TOO_MANY_LOOKUPS, too_many_lookups(outcome.dns_lookups, "would need")))
    if outcome.void_lookups > MAX_VOID_LOOKUPS:
        check.problems.append(
            Problem(TOO_MANY_VOID_LOOKUPS, too_many_voids(outcome.void_lookups, "would look up"))
        )
    if not check.problems and outcome.result in ("permerror", "temperror"):
        check.problems.append(Problem(outcome.code or outcome.result, describe_error(outcome, "would")))
    return rewritten


async def _check_successor(after: WhatIfDns, rewritten: SpfGraph, campaign: Campaign, check: Check) -> None:
    successor, root = campaign.successor, rewritten.root
    if not successor.outbound_ips:  # nothing to test with: reaching its SPF domain is the evidence
        if not reaches(
            rewritten,
            root,
            lambda name: rewritten.service_domain(name, successor.matches_spf_domain) is not None,
        ):
            check.problems.append(
                Problem(
                    SUCCESSOR_NOT_AUTHORIZED, f"the record would not include {successor.name}'s SPF record"
                )
            )
        return
    sender = f"postmaster@{root}"
    for ip in successor.outbound_ips:
        outcome = await check_host(after, str(ip), root, sender, root)
        if outcome.result == "temperror":
            check.unknown.append(
                Problem(LOOKUP_FAILED, f"checking {successor.name}'s server {ip} failed: {outcome.detail}")
            )
            return
        if outcome.result != "pass":
            check.problems.append(
                Problem(
                    SUCCESSOR_NOT_AUTHORIZED,
                    f"{successor.name}'s server {ip} would get {outcome.result}, not pass",
                )
            )


async def _check_senders(
    today: WhatIfDns,
    after: WhatIfDns,
    graph: SpfGraph,
    campaign: Campaign,
    ctx: MacroContext,
    is_inside_legacy: Callable[[Node], bool],
    check: Check,
) -> None:
    root = graph.root
    sender = f"postmaster@{root}"
    for ip in await sample_senders(graph, today.query, campaign, is_inside_legacy, ctx):
        before = await check_host(today, ip, root, sender, root)
        if before.result == "temperror":
            check.unknown.append(Problem(LOOKUP_FAILED, f"checking your sender {ip} failed: {before.detail}"))
            return
        if before.result != "pass":
            continue  # not authorized today (other than through the legacy service): nothing to keep
        check.senders_checked.append(ip)
        outcome = await check_host(after, ip, root, sender, root)
        if outcome.result == "temperror":
            check.unknown.append(
                Problem(LOOKUP_FAILED, f"checking your sender {ip} failed: {outcome.detail}")
            )
            return
        if outcome.result != "pass":
            check.problems.append(
                Problem(SENDER_RESULT_CHANGED, f"your sender {ip} would get {outcome.result} instead of pass")
            )


# -- words ------------------------------------------------------------------------------------------


def _lookup_failed(answer: Answer) -> str:
    return f"the lookup of {answer.name} {answer.rdtype} failed ({answer.failure_reason})"


def _how_many(count: int, noun: str) -> str:
    return f"one {noun}" if count == 1 else f"{count} {noun}s"


def too_many_lookups(lookups: int, verb: str) -> str:
    """ "the record would need 11 DNS lookups (the limit is 10): remove one include first"."""
    return (
        f"the record {verb} {lookups} DNS lookups (the limit is {MAX_DNS_TERMS}):"
        f" remove {_how_many(lookups - MAX_DNS_TERMS, 'include')} first"
    )


def too_many_voids(voids: int, verb: str) -> str:
    return (
        f"the record {verb} {voids} names that do not exist (at most {MAX_VOID_LOOKUPS} are allowed):"
        " remove the a:/mx:/include terms of names that are gone"
    )


def describe_error(outcome: WorstCase, tense: str) -> str:
    """An evaluation error in words; tense "is" for the current record, "would" for a rewrite."""
    where = outcome.where or "the record"
    now = tense == "is"
    if outcome.code == TOO_MANY_LOOKUPS:
        return too_many_lookups(outcome.dns_lookups, "already needs" if now else "would need")
    if outcome.code == TOO_MANY_VOID_LOOKUPS:
        return too_many_voids(outcome.void_lookups, "already looks up" if now else "would look up")
    if outcome.code == TOO_MANY_MX_HOSTS:
        return (
            f"an mx term in {where}'s record names more than {MAX_MX_NAMES} mail servers:"
            " list them with ip4:/a: instead"
        )
    if outcome.code == INCLUDE_LOOP:
        return f"the SPF records include each other in a loop ({outcome.detail.removeprefix('include loop: ')}): remove the loop"
    if outcome.code == INCLUDE_WITHOUT_SPF:
        return f"{shown(outcome.term)} in {where}'s record names a domain without an SPF record: remove it"
    if outcome.code == MULTIPLE_RECORDS:
        return f"{where} publishes several SPF records: replace them with one"
    if outcome.code == SYNTAX_ERROR:
        return f"the SPF record of {where} has a syntax error ({outcome.detail}): correct it"
    if outcome.code == INVALID_TARGET:
        return f"{where}'s record names something that is not a domain ({outcome.detail}): correct it"
    state = "is" if now else "would be"
    return f"the record {state} a {outcome.result}: {outcome.detail}"
