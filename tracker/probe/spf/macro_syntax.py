"""Macro-string grammar (RFC 7208 section 7.1): tokenizing and validation.

Shared by the parser (a bad macro is a syntax error of the whole record) and
by expansion, so both read a macro-string the same way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import SpfSyntaxError

MACRO_LETTERS = frozenset("slodiphcrtv")
# c, r and t only make sense in explanation text (RFC 7208 section 7.3).
EXPLANATION_ONLY_LETTERS = frozenset("crt")

_MACRO_EXPAND = re.compile(r"%\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}")
_ESCAPES = {"%": "%", "_": " ", "-": "%20"}
_TOPLABEL = re.compile(r"(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])\Z")


@dataclass(frozen=True, slots=True)
class Literal:
    """Plain text, copied as is (escapes already resolved)."""

    text: str


@dataclass(frozen=True, slots=True)
class Macro:
    """One `%{...}` expansion; `letter` is as written (upper case = URL-escape)."""

    letter: str
    digits: int | None
    reverse: bool
    delimiters: str

    @property
    def url_escape(self) -> bool:
        return self.letter.isupper()


Token = Literal | Macro


@dataclass(frozen=True, slots=True)
class _Piece:
    kind: str  # "char" (a literal character), "escape" (%% %_ %-) or "macro"
    value: str | Macro


def _is_macro_literal(char: str) -> bool:
    # macro-literal = %x21-24 / %x26-7E: visible ASCII except "%".
    return "!" <= char <= "~" and char != "%"


def _scan(text: str, explanation: bool, allow_space: bool) -> Iterator[_Piece]:
    i = 0
    while i < len(text):
        char = text[i]
        if char != "%":
            if not (_is_macro_literal(char) or (allow_space and char == " ")):
                raise SpfSyntaxError(f"character {char!r} is not allowed in {text!r}")
            yield _Piece("char", char)
            i += 1
            continue
        following = text[i + 1 : i + 2]
        if following in _ESCAPES:
            yield _Piece("escape", _ESCAPES[following])
            i += 2
            continue
        match = _MACRO_EXPAND.match(text, i)
        if not match:
            raise SpfSyntaxError(f"invalid macro at {text[i : i + 12]!r} in {text!r}")
        letter, digits, reverse, delimiters = match.groups()
        if letter.lower() not in MACRO_LETTERS:
            raise SpfSyntaxError(f"unknown macro letter {letter!r} in {text!r}")
        if not explanation and letter.lower() in EXPLANATION_ONLY_LETTERS:
            raise SpfSyntaxError(f"macro letter {letter!r} is only allowed in explanation text ({text!r})")
        if digits and int(digits) == 0:
            raise SpfSyntaxError(f"macro transformer digits must be non-zero in {text!r}")
        # Huge digit counts just mean "all parts"; the cap keeps int() cheap.
        count = min(int(digits), 1000) if digits else None
        yield _Piece("macro", Macro(letter, count, bool(reverse), delimiters))
        i = match.end()


def _merge(pieces: list[_Piece]) -> tuple[Token, ...]:
    tokens: list[Token] = []
    literal: list[str] = []
    for piece in pieces:
        if isinstance(piece.value, Macro):
            if literal:
                tokens.append(Literal("".join(literal)))
                literal = []
            tokens.append(piece.value)
        else:
            literal.append(piece.value)
    if literal:
        tokens.append(Literal("".join(literal)))
    return tuple(tokens)


_PLAIN_LITERAL = re.compile(r"[!-$&-~]*\Z")  # macro-literal only: no "%", no space


def tokenize(text: str, *, explanation: bool = False, allow_space: bool = False) -> tuple[Token, ...]:
    """Split a macro-string into literals and macros, or raise SpfSyntaxError.

    `explanation` allows the c/r/t letters; `allow_space` the spaces of
    explanation text (explain-string = *( macro-string / SP )).
    """
    if _PLAIN_LITERAL.match(text):
        return (Literal(text),) if text else ()
    return _merge(list(_scan(text, explanation, allow_space)))


def validate_domain_spec(text: str) -> tuple[Token, ...]:
    """domain-spec = macro-string domain-end, domain-end = "." toplabel ["."] / macro-expand.

    Cached: a sweep sees the same few thousand domain-specs over and over.
    """
    return _validate_cached(text) if len(text) <= 255 else _validate(text)


@functools.lru_cache(maxsize=8192)
def _validate_cached(text: str) -> tuple[Token, ...]:
    return _validate(text)


def _validate(text: str) -> tuple[Token, ...]:
    if not text:
        raise SpfSyntaxError("empty domain-spec")
    pieces = list(_scan(text, explanation=False, allow_space=False))
    if pieces[-1].kind != "char":
        return _merge(pieces)  # ends in a macro-expand (escapes included)
    tail_chars: list[str] = []
    for piece in reversed(pieces):
        if piece.kind != "char":
            break
        tail_chars.append(str(piece.value))
    tail = "".join(reversed(tail_chars))
    if tail.endswith("."):
        tail = tail[:-1]
    if "." not in tail or not _TOPLABEL.match(tail.rsplit(".", 1)[1]):
        raise SpfSyntaxError(f"domain-spec {text!r} does not end in a valid top-level label")
    return _merge(pieces)
