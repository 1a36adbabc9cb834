"""SPF record parser (RFC 7208 sections 4.5, 4.6.1, 5, 6, 7.1, 12).

Strict: any syntax error anywhere in the record is an error of the whole
record (section 4.6), so `parse_record` either returns every term or raises
`SpfSyntaxError` naming the bad term. Macros are validated, not expanded.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass

from .errors import SpfSyntaxError
from .macro_syntax import tokenize, validate_domain_spec

__all__ = ["SpfRecord", "SpfSyntaxError", "Term", "is_spf_record", "parse_record"]

MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
# Mechanisms (and the redirect modifier) that cost a DNS lookup (section 4.6.4).
DNS_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
QUALIFIERS = frozenset("+-~?")

_MODIFIER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9\-_.]*\Z")
_QNUM = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IP4_NETWORK = re.compile(rf"{_QNUM}\.{_QNUM}\.{_QNUM}\.{_QNUM}\Z")
_CIDR = re.compile(r"(?:0|[1-9][0-9]{0,2})\Z")
_VERSION = "v=spf1"
MAX_MESSAGE_LENGTH = 300
MAX_CACHED_LENGTH = 2048


@dataclass(frozen=True)
class Term:
    """One mechanism or modifier, with its parts as written."""

    kind: str  # "mechanism" | "modifier"
    name: str  # lower case: all include a mx ptr ip4 ip6 exists | redirect exp | any other modifier
    qualifier: str  # "+", "-", "~", "?" for mechanisms ("+" when omitted); "" for modifiers
    value: str | None  # domain-spec / ip text as written (macros unexpanded)
    cidr4: int | None = None
    cidr6: int | None = None
    text: str = ""  # the term exactly as written

    @property
    def is_mechanism(self) -> bool:
        return self.kind == "mechanism"

    @property
    def costs_dns_lookup(self) -> bool:
        """Counts against the 10-lookup limit of section 4.6.4."""
        if self.kind == "mechanism":
            return self.name in DNS_MECHANISMS
        return self.name == "redirect"


@dataclass(frozen=True)
class SpfRecord:
    """A parsed `v=spf1` record."""

    text: str
    terms: tuple[Term, ...]

    @functools.cached_property  # check_host() walks them for every client IP: build the tuple once
    def mechanisms(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.kind == "mechanism")

    @property
    def modifiers(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.kind == "modifier")

    @property
    def redirect(self) -> Term | None:
        return next((t for t in self.terms if t.kind == "modifier" and t.name == "redirect"), None)

    @property
    def exp(self) -> Term | None:
        return next((t for t in self.terms if t.kind == "modifier" and t.name == "exp"), None)

    @property
    def has_all(self) -> bool:
        return any(t.kind == "mechanism" and t.name == "all" for t in self.terms)

    def to_text(self) -> str:
        """The record rebuilt from its terms, single-spaced."""
        return " ".join([_VERSION, *(t.text for t in self.terms)])


def is_spf_record(txt: str) -> bool:
    """RFC 7208 4.5: "v=spf1" (any case) followed by a space or the end of the record."""
    return txt[:6].lower() == _VERSION and (len(txt) == 6 or txt[6] == " ")


def parse_record(txt: str) -> SpfRecord:
    """Parse a whole record or raise SpfSyntaxError (section 4.6: all of it, not up to `all`)."""
    # Records repeat across a sweep (every customer of a provider includes the same
    # few): parse each once. Huge (hostile) texts are not kept, to bound memory.
    if len(txt) <= MAX_CACHED_LENGTH:
        return _parse_cached(txt)
    return _parse(txt)


@functools.lru_cache(maxsize=4096)
def _parse_cached(txt: str) -> SpfRecord:
    return _parse(txt)


def _parse(txt: str) -> SpfRecord:
    if not is_spf_record(txt):
        raise SpfSyntaxError(f"not an SPF record: must start with {_VERSION!r} and a space")
    terms: list[Term] = []
    seen_modifiers: set[str] = set()
    for raw in txt[6:].split(" "):
        if not raw:
            continue  # several spaces between terms are allowed
        term = parse_term(raw)
        if term.name in ("redirect", "exp") and term.kind == "modifier":
            if term.name in seen_modifiers:
                raise SpfSyntaxError(_bounded(f"{term.name}= appears more than once (term {raw!r})"))
            seen_modifiers.add(term.name)
        terms.append(term)
    return SpfRecord(text=txt, terms=tuple(terms))


def parse_term(raw: str) -> Term:
    """Parse one space-free term; errors name it."""
    if not all(" " < char <= "~" for char in raw):
        raise SpfSyntaxError(_bounded(f"term {raw!r} contains a control or non-ASCII character"))
    try:
        if _is_modifier(raw):
            return _parse_modifier(raw)
        return _parse_directive(raw)
    except SpfSyntaxError as exc:
        message = str(exc)
        if repr(raw) not in message:
            message = f"term {raw!r}: {message}"
        raise SpfSyntaxError(_bounded(message)) from None


def _bounded(message: str) -> str:
    """Record text is attacker-controlled: keep error messages (shown in reports) short."""
    return message if len(message) <= MAX_MESSAGE_LENGTH else message[: MAX_MESSAGE_LENGTH - 3] + "..."


def _is_modifier(raw: str) -> bool:
    # Section 4.6.1: a modifier has "=" right after its name, before any ":" or "/".
    for char in raw:
        if char in ":/":
            return False
        if char == "=":
            return True
    return False


def _parse_modifier(raw: str) -> Term:
    name, value = raw.split("=", 1)
    if not _MODIFIER_NAME.match(name):
        raise SpfSyntaxError(f"term {raw!r}: invalid modifier name {name!r}")
    lowered = name.lower()
    if lowered in ("redirect", "exp"):
        if not value:
            raise SpfSyntaxError(f"term {raw!r}: {lowered}= needs a domain")
        validate_domain_spec(value)
    else:
        tokenize(value, explanation=True)
    return Term(kind="modifier", name=lowered, qualifier="", value=value, text=raw)


def _parse_directive(raw: str) -> Term:
    qualifier = "+"
    body = raw
    if raw[0] in QUALIFIERS:
        qualifier, body = raw[0], raw[1:]
    split_at = min((i for i in (body.find(":"), body.find("/")) if i != -1), default=len(body))
    name, rest = body[:split_at].lower(), body[split_at:]
    if name not in MECHANISMS:
        raise SpfSyntaxError(f"term {raw!r}: unknown mechanism {body[:split_at]!r}")
    value: str | None = None
    cidr4 = cidr6 = None
    if name == "all":
        if rest:
            raise SpfSyntaxError(f"term {raw!r}: 'all' takes no argument")
    elif name in ("include", "exists"):
        value = _required_domain(raw, name, rest)
    elif name == "ptr":
        if rest:
            if not rest.startswith(":"):
                raise SpfSyntaxError(f"term {raw!r}: 'ptr' takes no CIDR length")
            value = _required_domain(raw, name, rest)
    elif name in ("a", "mx"):
        rest, cidr4, cidr6 = _split_dual_cidr(raw, rest)
        if rest:
            value = _required_domain(raw, name, rest)
    elif name == "ip4":
        value, cidr4 = _parse_ip4(raw, rest)
    else:
        value, cidr6 = _parse_ip6(raw, rest)
    return Term(
        kind="mechanism", name=name, qualifier=qualifier, value=value, cidr4=cidr4, cidr6=cidr6, text=raw
    )


def _required_domain(raw: str, name: str, rest: str) -> str:
    if not rest.startswith(":") or len(rest) == 1:
        raise SpfSyntaxError(f"term {raw!r}: '{name}' needs ':' and a domain")
    domain_spec = rest[1:]
    validate_domain_spec(domain_spec)
    return domain_spec


def _cidr(raw: str, digits: str, maximum: int) -> int:
    if not _CIDR.match(digits) or int(digits) > maximum:
        raise SpfSyntaxError(f"term {raw!r}: invalid CIDR length /{digits} (0-{maximum}, no leading zeros)")
    return int(digits)


def _split_dual_cidr(raw: str, rest: str) -> tuple[str, int | None, int | None]:
    """dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], taken from the end."""
    cidr4 = cidr6 = None
    match = re.search(r"//([0-9]+)\Z", rest)
    if match:
        cidr6 = _cidr(raw, match.group(1), 128)
        rest = rest[: match.start()]
    match = re.search(r"/([0-9]+)\Z", rest)
    if match:
        cidr4 = _cidr(raw, match.group(1), 32)
        rest = rest[: match.start()]
    if rest and not rest.startswith(":"):
        raise SpfSyntaxError(f"term {raw!r}: malformed domain or CIDR length")
    return rest, cidr4, cidr6


def _parse_ip4(raw: str, rest: str) -> tuple[str, int | None]:
    if not rest.startswith(":"):
        raise SpfSyntaxError(f"term {raw!r}: 'ip4' needs ':' and an address")
    network, _, digits = rest[1:].partition("/")
    if not _IP4_NETWORK.match(network):
        raise SpfSyntaxError(f"term {raw!r}: {network!r} is not an IPv4 address")
    return network, (_cidr(raw, digits, 32) if "/" in rest else None)


def _parse_ip6(raw: str, rest: str) -> tuple[str, int | None]:
    if not rest.startswith(":"):
        raise SpfSyntaxError(f"term {raw!r}: 'ip6' needs ':' and an address")
    network, _, digits = rest[1:].partition("/")
    try:
        if "%" in network:
            raise ValueError
        ipaddress.IPv6Address(network)
    except ValueError:
        raise SpfSyntaxError(f"term {raw!r}: {network!r} is not an IPv6 address") from None
    return network, (_cidr(raw, digits, 128) if "/" in rest else None)
