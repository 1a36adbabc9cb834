"""Rewriting one record for the successor (docs/domain-report.md, `suggested_record`): a text edit, checked elsewhere.

The rules: a legacy include:/redirect= (also one whose target is a CNAME to the
legacy record) becomes the successor's include with the default `+` qualifier,
written once: not added again when the record already includes the successor.
ip4:/ip6: terms inside a legacy range are dropped; a wider block of the
customer's own that merely overlaps one is kept (the caller warns). When the
record does not reach the successor otherwise, the successor's include goes
where the first legacy term stood (before `all`, where it takes effect).
Everything else is kept in order, case and qualifiers included. verify.py then
evaluates the result before anyone sees it.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from ..campaign import Service
from .graph import ParsedRecord, effective_targets
from .parser import Term

LEGACY, SUCCESSOR = "legacy", "successor"


@functools.lru_cache(maxsize=8192)  # every sweep reads the same provider records' networks again
def term_network(term: Term) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network of an ip4:/ip6: mechanism, else None."""
    if term.kind != "mechanism" or term.name not in ("ip4", "ip6") or term.value is None:
        return None
    prefix = term.cidr4 if term.name == "ip4" else term.cidr6
    try:
        return ipaddress.ip_network(term.value if prefix is None else f"{term.value}/{prefix}", strict=False)
    except ValueError:
        return None


def overlapping_network(term: Term, legacy: Service) -> str | None:
    """The ip4:/ip6: network text when it overlaps a legacy range, else None."""
    network = term_network(term)
    if network is None or not legacy.overlaps_network(network):
        return None
    prefix = term.cidr4 if term.name == "ip4" else term.cidr6
    return term.value if prefix is None else f"{term.value}/{prefix}"


def inside_legacy_ranges(network: ipaddress.IPv4Network | ipaddress.IPv6Network, legacy: Service) -> bool:
    """Every address of the network is the legacy service's (so the term goes with it)."""
    return any(
        network.version == legacy_range.version and network.subnet_of(legacy_range)
        for legacy_range in legacy.ip_ranges
    )


@dataclass
class RecordRewrite:
    """One record rewritten: the new text and what the caller must tell about it."""

    original: str
    text: str
    wider_blocks: list[str] = field(default_factory=list)  # kept networks that also cover legacy ranges
    via_cname: list[tuple[str, str]] = field(default_factory=list)  # (include target, legacy domain)
    needs_successor_domain: bool = False  # an include of the successor was needed but none is known

    @property
    def changed(self) -> bool:
        return self.text != self.original


def rewrite_record(
    parsed: ParsedRecord,
    legacy: Service,
    successor_domain: str | None,
    service_of: Callable[[str], tuple[str, str] | None],
    reaches_successor: Callable[[str], bool],
) -> RecordRewrite:
    """The record rewritten; `service_of(target)` says (LEGACY|SUCCESSOR, its SPF domain) through
    CNAMEs, `reaches_successor(target)` whether an include of target gets to the successor."""
    record = parsed.record
    assert record is not None
    terms = record.terms
    all_index = next(
        (i for i, t in enumerate(terms) if t.kind == "mechanism" and t.name == "all"), len(terms)
    )
    has_all = all_index < len(terms)

    def effective(index: int, term: Term) -> bool:
        """Evaluated at all: a mechanism before `all`, or the redirect of a record without `all`."""
        return index < all_index if term.kind == "mechanism" else not has_all

    original = " ".join(parsed.text.split())  # several spaces between terms are one
    rewrite = RecordRewrite(original=original, text=original)

    def gets_to_successor(target: str) -> bool:
        found = service_of(target)
        return found[0] == SUCCESSOR if found is not None else reaches_successor(target)

    # The record may get to the successor already, by a term of its own or through its includes.
    emitted = any(gets_to_successor(target) for target in effective_targets(parsed))
    out: list[str] = []
    slot: int | None = None  # where the first legacy term stood, in `out`
    for index, term in enumerate(terms):
        target = parsed.targets.get(index)
        found = service_of(target) if target is not None else None
        if found is not None and found[0] == LEGACY:
            if target != found[1]:
                rewrite.via_cname.append((target, found[1]))
            if slot is None:
                slot = len(out)
            if term.kind == "modifier":  # redirect= keeps its role: the result for everything else
                if successor_domain is None:
                    rewrite.needs_successor_domain = True
                else:
                    out.append(f"redirect={successor_domain}")
                    emitted = emitted or not has_all
            elif not emitted and effective(index, term):
                if successor_domain is None:
                    rewrite.needs_successor_domain = True
                else:
                    out.append(f"include:{successor_domain}")
                    emitted = True
            continue  # a second legacy include, or one after `all`, is dropped
        network = term_network(term)
        if network is not None and legacy.overlaps_network(network):
            if inside_legacy_ranges(network, legacy):
                slot = len(out) if slot is None else slot
                continue
            rewrite.wider_blocks.append(term.text)
            slot = len(out) + 1 if slot is None else slot
        out.append(term.text)
    if not emitted and slot is not None:
        if successor_domain is None:
            rewrite.needs_successor_domain = True
        else:
            before_all = next(
                (i for i, text in enumerate(out) if text.lstrip("+-~?").lower() == "all"), len(out)
            )
            out.insert(min(slot, before_all), f"include:{successor_domain}")
    rewrite.text = " ".join([parsed.text[:6], *out])
    return rewrite
