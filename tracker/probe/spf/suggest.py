"""Rewriting a record for the successor (DESIGN.md, `suggested_record`).

Legacy include:/redirect= become the successor's first SPF domain (with the
qualifier as written), legacy ip4:/ip6: terms are dropped, everything else is
kept in order; a successor include/redirect then appears once (the first
occurrence stays). The caller checks the lookup count of the result.
"""

from __future__ import annotations

import ipaddress

from ..campaign import Service
from .errors import shown
from .graph import ParsedRecord
from .parser import Term


def overlapping_network(term: Term, legacy: Service) -> str | None:
    """The ip4:/ip6: network text when it overlaps a legacy range, else None."""
    if term.kind != "mechanism" or term.name not in ("ip4", "ip6") or term.value is None:
        return None
    prefix = term.cidr4 if term.name == "ip4" else term.cidr6
    text = term.value if prefix is None else f"{term.value}/{prefix}"
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return text if legacy.overlaps_network(network) else None


def _replacement(term: Term, successor_domain: str) -> str:
    if term.name == "redirect":
        return f"redirect={successor_domain}"
    written_qualifier = term.text[0] if term.text[0] in "+-~?" else ""
    return f"{written_qualifier}include:{successor_domain}"


def rewrite_for_successor(parsed: ParsedRecord, legacy: Service, successor: Service) -> tuple[str, list[str]]:
    """The rewritten record text, and notes about what could not be done."""
    assert parsed.record is not None
    successor_domain = successor.spf_includes[0] if successor.spf_includes else None
    notes: list[str] = []
    kept: list[tuple[str, str | None]] = []  # (term text, "include:x"/"redirect=x" key for successor terms)
    for index, term in enumerate(parsed.record.terms):
        target = parsed.targets.get(index)
        if target is not None and legacy.matches_spf_domain(target):
            if successor_domain is None:
                notes.append(f"dropped {shown(term.text)}: the successor has no SPF domain to use instead")
                continue
            kept.append((_replacement(term, successor_domain), f"{term.name}:{successor_domain}"))
        elif overlapping_network(term, legacy):
            continue
        elif target is not None and successor.matches_spf_domain(target):
            kept.append((term.text, f"{term.name}:{target}"))
        else:
            kept.append((term.text, None))
    seen: set[str] = set()
    terms: list[str] = []
    for text, key in kept:
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        terms.append(text)
    return " ".join(["v=spf1", *terms]), notes
