"""DNS text is hostile: make a domain report storable before it reaches the database.

PostgreSQL's text and JSON types cannot hold U+0000 (one NUL byte in a TXT
record failed a whole sweep chunk, on every sweep and resume), UTF-8 cannot
hold a lone surrogate, and other control characters are not for showing. Every
string of a report (keys too) gets these escaped as visible `\\xNN` / `\\uNNNN`
text, so what is stored and shown is what the record says, byte for byte,
without the byte that breaks the store. A report that still cannot be made
storable is replaced by an inconclusive one that says why (`unstorable_report`):
one bad domain never costs the others their check.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tracker.probe.report import INCONCLUSIVE, DomainReport, ReportError

# C0 controls and DEL, and lone surrogates (which no UTF-8 column can hold).
UNSTORABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def storable_text(text: str) -> str:
    """The text with its control characters and lone surrogates escaped (idempotent)."""
    return UNSTORABLE.sub(_escape, text) if UNSTORABLE.search(text) else text


def storable(value: Any) -> Any:
    """The value (a report or any part of one) with every string made storable."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(item) for item in value]
    return value


def unstorable_report(domain: str, reason: str) -> dict[str, Any]:
    """What is stored for a domain whose report could not be: inconclusive, saying why."""
    name = storable_text(domain)
    error = ReportError(name, "probe", f"internal error: the report could not be stored: {reason}")
    return DomainReport(domain=name, verdict=INCONCLUSIVE, errors=[error]).to_json()


def storable_report(domain: str, report: Any, verdicts) -> dict[str, Any]:
    """The report made storable, or an unstorable_report() when it cannot be (not JSON, no verdict)."""
    try:
        safe = storable(report)
        verdict = safe.get("verdict") if isinstance(safe, dict) else None
        if verdict not in verdicts:
            return unstorable_report(domain, f"no known verdict ({storable(repr(verdict))[:40]})")
        json.dumps(safe, ensure_ascii=False).encode()
    except (TypeError, ValueError, AttributeError, RecursionError) as exc:
        return unstorable_report(domain, f"{type(exc).__name__}: {storable_text(str(exc))[:200]}")
    return safe
