"""Which names can be asked at all (RFC 7208 4.3 and 4.8): bad names are not DNS questions."""

from __future__ import annotations

import functools

from ..resolver import normalize_query_name


@functools.lru_cache(maxsize=8192)  # every check_host() of a sweep expands the same few targets
def query_name(name: str) -> str | None:
    """The lower-case name to query, or None when DNS cannot carry it (empty/long label, > 253)."""
    try:
        text, _ = normalize_query_name(name)
    except ValueError:
        return None
    return text


def checkable_domain(name: str) -> str | None:
    """A multi-label domain check_host() may start from (section 4.3), else None (result `none`)."""
    if not name or name.startswith("[") or not name.isascii():
        return None
    text = query_name(name)
    if text is None or "." not in text:
        return None
    return text
