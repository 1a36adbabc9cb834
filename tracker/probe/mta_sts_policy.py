"""MTA-STS (RFC 8461) text: the `_mta-sts` TXT record, the policy file, and MX matching.

Pure functions, no I/O, so the rules can be tested case by case (the public
oracle is postalsys/mailauth's test/mta-sts/validate-mx-test.js). Matching is
section 4.1 exactly: `*.example.com` stands for one label, so it matches
`mail.example.com` and neither `example.com` nor `a.b.example.com`; a name
that merely ends in the pattern (`mail.example.net.evil.com`) never matches.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tracker.probe.domains import DomainNameError, normalize_hostname

MODES = ("enforce", "testing", "none")
MAX_MAX_AGE = 31_557_600  # RFC 8461 3.2: at most one year, in seconds
MAX_POLICY_BYTES = 64 * 1024  # RFC 8461 3.3 suggests senders limit the body; so do we
MAX_MX_SHOWN = 64  # patterns kept in the report (a 64 KiB policy could list thousands)
_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_MAX_AGE = re.compile(r"^[0-9]{1,10}$")


class PolicyError(ValueError):
    """A TXT record or policy file senders must ignore (RFC 8461 3.1, 3.2); the message says why."""


# -- the TXT record ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StsRecord:
    text: str
    id: str
    extensions: tuple[tuple[str, str], ...] = ()  # other key=value fields, kept when rewriting


def is_sts_record(text: str) -> bool:
    """RFC 8461 3.1: only records that begin with `v=STSv1` count; the others are discarded."""
    return text.strip().startswith("v=STSv1")


def parse_sts_record(text: str) -> StsRecord:
    fields = [part.strip() for part in text.strip().split(";")]
    while fields and not fields[-1]:
        fields.pop()
    if not fields or fields[0] != "v=STSv1":
        raise PolicyError("the record must start with v=STSv1")
    found_id = None
    extensions = []
    for part in fields[1:]:
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise PolicyError(f"{part[:40]!r} is not a key=value field")
        if key == "id":
            if found_id is not None:
                raise PolicyError("id= appears twice")
            if not _ID.match(value):
                raise PolicyError(f"id={value[:40]!r} must be 1 to 32 letters and digits")
            found_id = value
        else:
            extensions.append((key, value))
    if found_id is None:
        raise PolicyError("the record has no id=")
    return StsRecord(text=text, id=found_id, extensions=tuple(extensions))


def sts_record_text(record: StsRecord, new_id: str) -> str:
    """The same record with another id (extension fields kept, in order)."""
    parts = ["v=STSv1", f"id={new_id}", *(f"{key}={value}" for key, value in record.extensions)]
    return "; ".join(parts) + ";"


# -- the policy file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    mode: str
    mx: tuple[str, ...]  # lower case, as published (valid or not: invalid ones never match)
    max_age: int
    version: str = "STSv1"
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """`mx` shows at most MAX_MX_SHOWN patterns (judging uses them all; the policy text has them too)."""
        return {
            "version": self.version,
            "mode": self.mode,
            "mx": list(self.mx[:MAX_MX_SHOWN]),
            "max_age": self.max_age,
        }


def parse_policy(text: str) -> Policy:
    """RFC 8461 3.2: `key: value` lines (CRLF, LF accepted); unknown keys ignored; mx may repeat."""
    values: dict[str, str] = {}
    mx: list[str] = []
    warnings: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            warnings.append(f"line {line[:40]!r} is not 'key: value' (ignored)")
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "mx":
            pattern = value.lower()
            if pattern not in mx:
                mx.append(pattern)
        elif key in values:
            warnings.append(f"{key} appears twice: the first is used")
        else:
            values[key] = value
    if values.get("version") != "STSv1":
        raise PolicyError(f"version must be STSv1 (found {values.get('version', 'none')!r})")
    mode = values.get("mode", "").lower()
    if mode not in MODES:
        raise PolicyError(f"mode must be enforce, testing or none (found {values.get('mode', 'none')!r})")
    max_age_text = values.get("max_age", "")
    if not _MAX_AGE.match(max_age_text) or int(max_age_text) > MAX_MAX_AGE:
        raise PolicyError(f"max_age must be a number of seconds up to {MAX_MAX_AGE} (found {max_age_text!r})")
    if mode != "none" and not mx:
        raise PolicyError(f"a policy in mode {mode} needs at least one mx line")
    for pattern in mx:
        if valid_pattern(pattern) is None:
            warnings.append(f"mx: {pattern[:60]!r} is not a host name or *.domain pattern: it never matches")
    return Policy(mode=mode, mx=tuple(mx), max_age=int(max_age_text), warnings=tuple(warnings))


def policy_text(mode: str, mx: Iterable[str], max_age: int) -> str:
    """A policy file in the RFC's canonical form (CRLF line ends, version first)."""
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {pattern}" for pattern in mx), f"max_age: {max_age}"]
    return "\r\n".join(lines) + "\r\n"


def new_policy_id(text: str, current: str) -> str:
    """An id that follows from the policy text (the same advice on every sweep) and differs from `current`."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    for start in range(0, len(digest) - 20):
        candidate = "p" + digest[start : start + 20]
        if candidate != current:
            return candidate
    raise AssertionError("unreachable: a 64-digit digest has many windows")


# -- RFC 8461 4.1 matching ----------------------------------------------------------------------


def _a_label(name: str) -> str | None:
    try:
        return normalize_hostname(name.strip())
    except DomainNameError:
        return None


def valid_pattern(pattern: object) -> str | None:
    """The pattern as a lower-case A-label (`*.` kept), or None when it can never match."""
    if not isinstance(pattern, str):
        return None
    pattern = pattern.strip().lower()
    if pattern.startswith("*."):
        rest = _a_label(pattern[2:])
        return None if rest is None else "*." + rest
    return _a_label(pattern)


def pattern_matches(pattern: str, host: str) -> bool:
    """One policy mx pattern against one MX host name (already an A-label, no trailing dot)."""
    pattern = valid_pattern(pattern) or ""
    if pattern.startswith("*."):
        label, dot, rest = host.partition(".")
        return bool(label) and bool(dot) and rest == pattern[2:]
    return bool(pattern) and host == pattern


def matching_pattern(host: str, patterns: Sequence[str] | object) -> str | None:
    """The first pattern that matches `host` (any spelling: U-label, case, trailing dot), or None."""
    if isinstance(patterns, str) or not isinstance(patterns, (list, tuple)):
        return None  # a policy needs a list of patterns; one bare string is not one
    name = _a_label(host) if isinstance(host, str) and host.strip() else None
    if name is None or name.startswith("*"):
        return None
    for pattern in patterns:
        if isinstance(pattern, str) and pattern_matches(pattern, name):
            return pattern
    return None


@dataclass(frozen=True)
class MxValidation:
    """What a sender concludes for one MX host under a policy (mailauth's validateMx result)."""

    valid: bool
    mode: str
    match: str | None = None
    testing: bool = False


def validate_mx(host: str, policy: Policy | None) -> MxValidation:
    """`enforce`: the host must match; `testing`: a mismatch is only reported; `none`/no policy: anything goes."""
    if policy is None or policy.mode == "none":
        return MxValidation(True, "none")
    match = matching_pattern(host, policy.mx)
    if match is not None:
        return MxValidation(True, policy.mode, match)
    return MxValidation(False, policy.mode, None, testing=policy.mode == "testing")


# -- patterns against a campaign's host patterns ------------------------------------------------------


def pattern_covers_service(pattern: str, service_patterns: Sequence[str]) -> bool:
    """Does a policy mx pattern match hosts of a service (campaign patterns: exact, or `*.s` = any depth)?"""
    pattern = valid_pattern(pattern)
    if pattern is None:
        return False
    for service in service_patterns:
        if service.startswith("*."):
            suffix = service[1:]  # ".s"
            named = pattern[2:] if pattern.startswith("*.") else pattern
            if ("." + named).endswith(suffix) and (pattern.startswith("*.") or named != suffix[1:]):
                return True
        elif pattern_matches(pattern, service):
            return True
    return False


def covers_service_patterns(policy_mx: Sequence[str], service_patterns: Sequence[str]) -> bool:
    """Every host a campaign pattern stands for is matched by the policy (exact: matched; `*.s`: `*.s` listed).

    A campaign's `*.s` means any host under s; a policy can only say one label
    under s, so `*.s` must itself be listed (the hosts deeper down cannot be
    enumerated, and a guess is not a promise).
    """
    if not service_patterns:
        return False
    listed = {valid_pattern(pattern) for pattern in policy_mx}
    for service in service_patterns:
        if service.startswith("*."):
            if service not in listed:
                return False
        elif matching_pattern(service, list(policy_mx)) is None:
            return False
    return True
