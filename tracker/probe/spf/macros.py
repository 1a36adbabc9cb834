"""Macro expansion (RFC 7208 section 7).

Expansion itself is pure; the one letter that needs DNS (`p`, the validated
PTR name) is looked up by check_host() beforehand and handed in through the
context, so this module stays synchronous and testable by hand.
"""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from .macro_syntax import Literal, Macro, Token, tokenize, validate_domain_spec

MAX_DOMAIN_LENGTH = 253


@dataclass(frozen=True)
class MacroContext:
    """The values the macro letters stand for during one check_host() call."""

    ip: ipaddress.IPv4Address | ipaddress.IPv6Address  # IPv4-mapped addresses already unmapped
    sender: str  # <sender>: local-part@domain, "postmaster" substituted when the local part is empty
    domain: str  # <domain> of the current check_host() (changes on include/redirect)
    helo: str = ""
    validated_ptr: str = "unknown"  # `p`; check_host() fills it in when a macro needs it
    receiver: str = "unknown"  # `r`: the host doing the check
    timestamp: int = field(default_factory=lambda: int(time.time()))

    @property
    def local_part(self) -> str:
        return self.sender.rpartition("@")[0] or "postmaster"

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]


def uses_ptr_macro(tokens: tuple[Token, ...]) -> bool:
    return any(isinstance(t, Macro) and t.letter.lower() == "p" for t in tokens)


def _dotted_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if ip.version == 4:
        return str(ip)
    # RFC 7208 7.3: IPv6 as dot-separated nibbles, for use as %{ir}.
    return ".".join(ip.exploded.replace(":", ""))


def _letter_value(letter: str, ctx: MacroContext) -> str:
    if letter == "s":
        return ctx.sender
    if letter == "l":
        return ctx.local_part
    if letter == "o":
        return ctx.sender_domain
    if letter == "d":
        return ctx.domain
    if letter == "i":
        return _dotted_ip(ctx.ip)
    if letter == "p":
        return ctx.validated_ptr
    if letter == "v":
        return "in-addr" if ctx.ip.version == 4 else "ip6"
    if letter == "h":
        return ctx.helo
    if letter == "c":
        return str(ctx.ip)
    if letter == "r":
        return ctx.receiver
    return str(ctx.timestamp)  # "t"


def _transform(value: str, macro: Macro) -> str:
    delimiters = macro.delimiters or "."
    parts = re.split("[" + re.escape(delimiters) + "]", value)
    if macro.reverse:
        parts.reverse()
    if macro.digits is not None and macro.digits < len(parts):
        parts = parts[-macro.digits :]
    return ".".join(parts)


def expand_tokens(tokens: tuple[Token, ...], ctx: MacroContext) -> str:
    out: list[str] = []
    for token in tokens:
        if isinstance(token, Literal):
            out.append(token.text)
            continue
        value = _transform(_letter_value(token.letter.lower(), ctx), token)
        # Upper-case letters are URL-escaped (RFC 3986 unreserved kept), section 7.3.
        out.append(quote(value, safe="-._~") if token.url_escape else value)
    return "".join(out)


def truncate_domain(name: str) -> str:
    """Section 7.3: drop labels from the left until the name fits 253 characters."""
    while len(name) > MAX_DOMAIN_LENGTH and "." in name:
        name = name.split(".", 1)[1]
    return name[-MAX_DOMAIN_LENGTH:] if len(name) > MAX_DOMAIN_LENGTH else name


def expand_domain_spec(spec: str, ctx: MacroContext) -> str:
    """A domain-spec expanded for a DNS query: truncated, trailing dot removed."""
    expanded = expand_tokens(validate_domain_spec(spec), ctx)
    return truncate_domain(expanded.rstrip(".") if expanded != "." else expanded)


def expand_explanation(text: str, ctx: MacroContext) -> str:
    """Explanation text (section 6.2): macro-strings and spaces, c/r/t allowed."""
    return expand_tokens(tokenize(text, explanation=True, allow_space=True), ctx)


def expand_macro_string(text: str, ctx: MacroContext) -> str:
    """Any macro-string, e.g. a literal without a domain-end check (tests, tools)."""
    return expand_tokens(tokenize(text, explanation=True), ctx)
