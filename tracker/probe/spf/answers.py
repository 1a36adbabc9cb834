"""The DNS answers a tree walk has in hand, and the A/MX questions of its a/mx terms.

check_host() and the worst-case evaluation then work on exactly what the walk
saw: a failed TXT is the same failure, not a second round of timeouts, and a
rewritten tree (verify.py) is judged on the same answers as the current one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ..resolver import Answer, Resolver
from .check_host import MAX_MX_NAMES
from .graph import SpfGraph, expand_target
from .macros import MacroContext

_IP_MACROS = ("%{i", "%{c", "%{p")


class AnswersInHand:
    """A resolver that answers from `known` first and asks the real one only for the rest."""

    __slots__ = ("known", "resolver")

    def __init__(self, resolver: Resolver, known: dict[tuple[str, str], Answer]):
        self.resolver = resolver
        self.known = known

    async def query(self, name: str, rdtype: str) -> Answer:
        answer = self.known.get((name, rdtype))
        if answer is not None:
            return answer
        return await self.resolver.query(name, rdtype)


@dataclass
class TermProbe:
    """What the a/mx terms before `all` got: void answers, MX overflows, failures, every answer."""

    void: set[tuple[str, int]] = field(default_factory=set)  # (domain, term index)
    mx_overflow: set[tuple[str, int]] = field(default_factory=set)  # mx terms with > 10 hosts to look up
    failed: list[Answer] = field(default_factory=list)
    known: dict[tuple[str, str], Answer] = field(default_factory=dict)


async def probe_terms(resolver, graph: SpfGraph, ctx: MacroContext) -> TermProbe:
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
    probe = TermProbe()
    for (domain, index, target, rdtype), answer in zip(questions, answers, strict=True):
        probe.known[(target, rdtype)] = answer
        if answer.void:
            probe.void.add((domain, index))
        elif answer.failed:
            probe.failed.append(answer)
        elif rdtype == "MX" and sum(1 for _, host in answer.records if host) > MAX_MX_NAMES:
            probe.mx_overflow.add((domain, index))
    return probe


def answers_of(graph: SpfGraph, probe: TermProbe) -> dict[tuple[str, str], Answer]:
    """Every answer of the walk and the probe, by question."""
    known = dict(probe.known)
    for name, node in graph.nodes.items():
        known[(name, "TXT")] = node.lookup.answer
    return known
