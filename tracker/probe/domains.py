"""Customer domain names: one normaliser shared by the Django models and the probe engine.

Names are stored and probed as lower-case A-labels without a trailing dot, so
`例え.JP.` and `xn--r8jz45g.jp` are the same domain. No Django import here.
"""

from __future__ import annotations

import functools
import re

import idna
from publicsuffixlist import PublicSuffixList

MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63

# Underscores are valid DNS but not host-name characters: they appear in service
# labels such as `_spf` or `_dmarc`, never in a registrable domain.
_ASCII_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$")


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    """The list publicsuffixlist ships (offline); parsed once per process, on first use (~0.8 s)."""
    return PublicSuffixList()


def registrable_domain(name: str) -> str:
    """The organizational (registrable) domain of `name`, or `name` itself when it is a suffix."""
    return _public_suffixes().privatesuffix(name) or name


class DomainNameError(ValueError):
    """A domain name that cannot be stored or probed; the message says why."""


def _shown(name: str) -> str:
    """The name quoted for an error message, shortened so a 300-character name stays readable."""
    return repr(name if len(name) <= 60 else name[:57] + "...")


def _a_label(label: str, original: str) -> str:
    """One label as a lower-case A-label, or DomainNameError."""
    if not label.isascii():
        try:
            label = idna.encode(label, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise DomainNameError(
                f"{original}: the label {label!r} is not a valid IDN label ({exc})"
            ) from None
    label = label.lower()
    if len(label) > MAX_LABEL_LENGTH:
        raise DomainNameError(
            f"{original}: the label {label[:20]!r}... is {len(label)} characters long "
            f"(at most {MAX_LABEL_LENGTH})"
        )
    if not _ASCII_LABEL.match(label):
        raise DomainNameError(
            f"{original}: the label {label!r} may only contain letters, digits and inner hyphens"
        )
    if label.startswith("xn--"):
        try:
            idna.decode(label)
        except idna.IDNAError:
            raise DomainNameError(f"{original}: the label {label!r} is not a valid A-label") from None
    return label


def to_unicode(name: str) -> str:
    """`xn--r8jz45g.jp` as people read it (例え.jp); the name itself when it cannot be decoded."""
    if "xn--" not in name:
        return name
    try:
        return idna.decode(name)
    except (idna.IDNAError, UnicodeError):
        return name


def canonical_name(name: str) -> str:
    """A name as read from DNS or a stored report, in the form names are compared in.

    Names the engine produced are lower-case A-labels already; this only folds what
    a person or a record may add (case, a trailing dot, surrounding spaces).
    """
    return name.strip().rstrip(".").lower()


def normalize_hostname(name: str) -> str:
    """Any host name as a lower-case A-label without trailing dot (IDNA 2008, UTS 46), or DomainNameError.

    Full-width and ideographic forms are mapped first (`ｅｘａｍｐｌｅ．ｊｐ` is
    `example.jp`); `straße.de` stays `xn--strae-oqa.de`, as DNS has it.
    """
    if not isinstance(name, str):
        raise DomainNameError("a domain name must be text")
    text = name.strip()
    if not text:
        raise DomainNameError("a domain name must not be empty")
    shown = _shown(text)
    # An A-label is never shorter than its U-label: reject long input before any work.
    if len(text.rstrip(".")) > MAX_NAME_LENGTH:
        raise DomainNameError(
            f"{shown} is {len(text.rstrip('.'))} characters long; a domain name has at most {MAX_NAME_LENGTH}"
        )
    if any(char.isspace() for char in text):
        raise DomainNameError(f"{shown}: a domain name must not contain spaces")
    # UTS 46 mapping first: it turns ideographic full stops into dots and folds case.
    try:
        text = idna.uts46_remap(text, std3_rules=False, transitional=False)
    except idna.IDNAError as exc:
        raise DomainNameError(f"{shown} is not a valid domain name ({exc})") from None
    if text.endswith("."):
        text = text[:-1]
    labels = text.split(".")
    if "" in labels:
        raise DomainNameError(f"{shown} has an empty label (a leading dot or two dots in a row)")
    if len(labels) < 2:
        raise DomainNameError(f"{shown} needs at least two labels, e.g. example.com")
    result = ".".join(_a_label(label, shown) for label in labels)
    if len(result) > MAX_NAME_LENGTH:
        raise DomainNameError(
            f"{_shown(result)} is {len(result)} characters long; a domain name has at most {MAX_NAME_LENGTH}"
        )
    return result


def normalize_domain(name: str) -> str:
    """A customer's domain as a lower-case A-label without trailing dot, or DomainNameError.

    Like `normalize_hostname`, and the name must be registrable: not a public
    suffix, no underscore in the registrable part.
    """
    result = normalize_hostname(name)
    registrable = _public_suffixes().privatesuffix(result)
    if registrable is None:
        raise DomainNameError(f"{result!r} is a public suffix, not a customer's domain")
    if "_" in registrable:
        raise DomainNameError(
            f"{result!r}: underscores are not allowed in the registrable domain {registrable!r} "
            "(only in labels left of it, such as _spf.example.com)"
        )
    return result
