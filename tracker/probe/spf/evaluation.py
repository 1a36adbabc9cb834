"""What a receiver gets from a fetched SPF tree for mail it cannot match (the worst case).

Evaluation is run over the tree already fetched by graph.py, in order and
lazily (RFC 7208 4.6.4): the 11th DNS-querying term reached is a permerror,
an include of a domain without SPF a permerror, a failed TXT a temperror.
`all` ends evaluation, so terms after it (and a redirect beside it) are
never reached: that is what `breaks_on_legacy_removal` is about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .check_host import MAX_DNS_TERMS, MAX_MX_NAMES, MAX_VOID_LOOKUPS
from .errors import shown
from .graph import SpfGraph

MAX_COUNTED_TERMS = 200  # stop counting a pathological tree (diamonds multiply)
_QUALIFIER_RESULTS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}

# Why evaluation ended in an error, as a code the advice (and the Django side) can rely on.
TOO_MANY_LOOKUPS = "too_many_lookups"
TOO_MANY_VOID_LOOKUPS = "too_many_void_lookups"
TOO_MANY_MX_HOSTS = "too_many_mx_hosts"
INCLUDE_LOOP = "include_loop"
INCLUDE_WITHOUT_SPF = "include_without_spf"
MULTIPLE_RECORDS = "multiple_records"
SYNTAX_ERROR = "syntax_error"
INVALID_TARGET = "invalid_target"
LOOKUP_FAILED = "lookup_failed"
TREE_INCOMPLETE = "tree_incomplete"


@dataclass
class WorstCase:
    """The outcome of evaluating the tree for an unmatched client."""

    result: str = "neutral"  # pass/fail/softfail/neutral/none/permerror/temperror
    detail: str = ""
    code: str = ""  # for permerror/temperror: one of the codes above
    where: str = ""  # the domain whose record (or lookup) caused the error
    term: str = ""  # the term that did, when one did (include:x of a domain without SPF)
    dns_lookups: int = 0  # DNS-querying terms reached (whole reachable tree, even past the limit)
    void_lookups: int = 0
    reached_legacy: list[tuple[str, ...]] = field(default_factory=list)  # paths to reachable legacy targets


@dataclass(frozen=True)
class _Error:
    result: str
    detail: str
    code: str
    where: str
    term: str = ""


class _Evaluator:
    def __init__(
        self,
        graph: SpfGraph,
        void_terms: set[tuple[str, int]],
        is_legacy: Callable[[str], bool],
        mx_overflow: set[tuple[str, int]],
    ):
        self.graph = graph
        self.void_terms = void_terms  # (domain, term index) whose DNS answer was empty
        self.mx_overflow = mx_overflow  # (domain, term index) of mx terms with over 10 MX hosts
        self.is_legacy = is_legacy
        self.outcome = WorstCase()
        self.first_error: _Error | None = None

    def fail(self, result: str, detail: str, code: str, where: str, term: str = "") -> None:
        """Remember the first error, keep walking to count the whole reachable tree."""
        if self.first_error is None:
            self.first_error = _Error(result, detail, code, where, term)

    def evaluate(self, domain: str, stack: tuple[str, ...]) -> str:
        node = self.graph.nodes.get(domain)
        if node is None:  # not fetched: beyond the depth or size caps
            self.fail(
                "temperror",
                f"{domain} was not looked up (tree too deep or too large)",
                TREE_INCOMPLETE,
                domain,
            )
            return "temperror"
        if node.lookup.failed:
            answer = node.lookup.answer
            self.fail("temperror", f"{domain} TXT: {answer.outcome}", LOOKUP_FAILED, domain)
            return "temperror"
        if not node.records:
            return "none"
        if len(node.records) > 1:
            self.fail(
                "permerror", f"{domain} publishes {len(node.records)} SPF records", MULTIPLE_RECORDS, domain
            )
            return "permerror"
        parsed = node.records[0]
        if parsed.record is None:
            self.fail("permerror", f"{domain}: {parsed.error}", SYNTAX_ERROR, domain)
            return "permerror"
        terms = parsed.record.terms
        for index, term in enumerate(terms):
            if term.kind != "mechanism":
                continue
            if term.name == "all":
                return _QUALIFIER_RESULTS[term.qualifier]
            if term.costs_dns_lookup:
                if not self.count(term.text, domain):
                    return "permerror"
            if (domain, index) in self.void_terms:
                self.outcome.void_lookups += 1
                if self.outcome.void_lookups > MAX_VOID_LOOKUPS:
                    self.fail(
                        "permerror",
                        f"more than {MAX_VOID_LOOKUPS} void lookups (at {shown(term.text)} in {domain})",
                        TOO_MANY_VOID_LOOKUPS,
                        domain,
                    )
            if (domain, index) in self.mx_overflow:  # 4.6.4: the 11th address lookup of an mx term
                self.fail(
                    "permerror",
                    f"{shown(term.text)} in {domain}: more than {MAX_MX_NAMES} MX hosts to look up",
                    TOO_MANY_MX_HOSTS,
                    domain,
                )
            if term.name == "include":
                result = self.follow(domain, index, term.text, stack)
                if result == "none":
                    self.fail(
                        "permerror",
                        f"{term.text} in {domain}: the target publishes no SPF record",
                        INCLUDE_WITHOUT_SPF,
                        domain,
                        term.text,
                    )
                if result == "pass" and self.first_error is None:
                    return _QUALIFIER_RESULTS[term.qualifier]
        redirect_index = next(
            (i for i, t in enumerate(terms) if t.kind == "modifier" and t.name == "redirect"), None
        )
        if redirect_index is None:
            return "neutral"
        text = terms[redirect_index].text
        if not self.count(text, domain):
            return "permerror"
        result = self.follow(domain, redirect_index, text, stack)
        if result == "none":
            self.fail(
                "permerror",
                f"{text} in {domain}: the target publishes no SPF record",
                INCLUDE_WITHOUT_SPF,
                domain,
                text,
            )
            return "permerror"
        return result

    def count(self, term_text: str, domain: str) -> bool:
        self.outcome.dns_lookups += 1
        if self.outcome.dns_lookups == MAX_DNS_TERMS + 1:
            self.fail(
                "permerror",
                f"more than {MAX_DNS_TERMS} DNS-querying terms (at {shown(term_text)})",
                TOO_MANY_LOOKUPS,
                domain,
            )
        return self.outcome.dns_lookups < MAX_COUNTED_TERMS

    def follow(self, domain: str, index: int, term_text: str, stack: tuple[str, ...]) -> str:
        node = self.graph.nodes[domain]
        target = node.records[0].targets.get(index)
        if target is None:
            self.fail(
                "permerror", f"{term_text} in {domain}: not a valid domain name", INVALID_TARGET, domain
            )
            return "permerror"
        if self.is_legacy(target):
            self.outcome.reached_legacy.append((*stack, target))
        if target in stack:
            self.fail("permerror", f"include loop: {' -> '.join((*stack, target))}", INCLUDE_LOOP, domain)
            return "permerror"
        return self.evaluate(target, (*stack, target))


def worst_case(
    graph: SpfGraph,
    void_terms: set[tuple[str, int]],
    is_legacy: Callable[[str], bool],
    mx_overflow: set[tuple[str, int]] | None = None,
) -> WorstCase:
    evaluator = _Evaluator(graph, void_terms, is_legacy, mx_overflow or set())
    result = evaluator.evaluate(graph.root, (graph.root,))
    outcome = evaluator.outcome
    error = evaluator.first_error
    if error is not None:
        outcome.result, outcome.detail, outcome.code = error.result, error.detail, error.code
        outcome.where, outcome.term = error.where, error.term
    else:
        outcome.result = result
    return outcome
