"""What a check found, in one shape for every kind: references, advice, and what was asked.

Each reference says what it breaks (`breaks`), so follow-up rules and pages can
sort a customer's work by date without knowing every kind. Each check records
the questions it asked through a `Recorder`, so the report can say per check
what was looked up and what failed, exactly: a list built by hand would drift
from the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.probe.resolver import Answer, Resolver

# What a reference breaks, and when (the campaign's dates):
END_DATE = "end_date"  # stops working when the legacy servers stop
CLEANUP = "cleanup"  # breaks when the legacy SPF record is deleted
MX_MOVE = "mx_move"  # blocks moving MX to the successor (mail is refused from the move on)
QUIET = "quiet"  # reports are lost or wrong; nothing bounces
NOTHING = "nothing"  # published but never used (after `all`, a leftover beside the successor): clean up
BREAKS = (END_DATE, CLEANUP, MX_MOVE, QUIET, NOTHING)

# When an advice is to be carried out, relative to the customer's MX move.
NOW = "now"
BEFORE_MX_MOVE = "before_mx_move"
WITH_MX_MOVE = "with_mx_move"
AFTER_MX_MOVE = "after_mx_move"
AFTER_END_DATE = "after_end_date"
WHEN = (NOW, BEFORE_MX_MOVE, WITH_MX_MOVE, AFTER_MX_MOVE, AFTER_END_DATE)


@dataclass(frozen=True)
class LegacyReference:
    """One DNS reference to the legacy service: the contract's {kind, value, path} plus `breaks`."""

    kind: str
    value: str
    path: tuple[str, ...]  # the customer's domain, then the name that holds the record
    breaks: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "path": list(self.path), "breaks": self.breaks}


@dataclass(frozen=True)
class Advice:
    """An exact change the engine verified, or why it offers none (`suggested` None, `withheld` says why).

    `suggested` replaces `current` at `name` as a whole (an empty tuple: delete the
    record); `type` is the DNS type, or "policy" for the MTA-STS policy file.
    """

    kind: str
    name: str
    type: str
    current: tuple[str, ...]
    suggested: tuple[str, ...] | None
    when: str = NOW
    note: str = ""
    withheld: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "type": self.type,
            "current": list(self.current),
            "suggested": None if self.suggested is None else list(self.suggested),
            "when": self.when,
            "note": self.note,
            "withheld": self.withheld,
        }


@dataclass(frozen=True)
class ReportError:
    """One failed lookup (DNS, HTTPS) or engine trouble: the queried name, the type, and why."""

    name: str
    type: str
    error: str

    @classmethod
    def from_answer(cls, answer: Answer) -> ReportError:
        return cls(answer.name, answer.rdtype, answer.failure_reason)

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "error": self.error}


class Recorder:
    """The resolver as one check sees it: every question is written down, every failure kept."""

    __slots__ = ("asked", "failures", "resolver")

    def __init__(self, resolver: Resolver | Recorder):
        self.resolver = resolver
        # name, type, name, type, ...: the caller's own strings, no new one per question (a sweep
        # keeps every report, and MX and SPF keep their recorder in it).
        self.asked: list[str] = []
        self.failures: list[ReportError] = []

    @property
    def looked_up(self) -> list[str]:
        """Each question as "name TYPE", in the order asked."""
        asked = self.asked
        return [
            f"{asked[i].strip().rstrip('.').lower()} {asked[i + 1].upper()}" for i in range(0, len(asked), 2)
        ]

    async def query(self, name: str, rdtype: str) -> Answer:
        # Written down when asked, not when answered: the order then follows the code, not the
        # network, and the same DNS gives the same report (its fingerprint decides history spans).
        self.asked += (name, rdtype)
        answer = await self.resolver.query(name, rdtype)
        if answer.failed:
            self.failures.append(ReportError.from_answer(answer))
        return answer

    def detached(self) -> Recorder:
        """The record alone, to keep in a report (not the resolver and its whole cache)."""
        self.resolver = None  # type: ignore[assignment]
        return self

    def note(self, name: str, kind: str, error: str | None) -> None:
        """A lookup that is not a DNS question (the MTA-STS policy over HTTPS)."""
        self.asked += (name, kind)
        if error is not None:
            self.failures.append(ReportError(name, kind, error))


@dataclass(slots=True)
class CheckResult:
    """One check of one domain: what it found, what it advises, what it asked and what failed."""

    check: str
    references: list[LegacyReference] = field(default_factory=list)
    advice: list[Advice] = field(default_factory=list)
    looked_up: list[str] = field(default_factory=list)
    failures: list[ReportError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] | None = None  # the check's own report section, if it has one
    timing: dict[str, str] = field(default_factory=dict)  # dates derived from the check time

    def took(self, recorder: Recorder) -> CheckResult:
        """Add what the recorder saw (its lists themselves when there is nothing yet: a sweep keeps
        every report, so no copies)."""
        self.looked_up.extend(recorder.looked_up)
        if self.failures:
            self.failures.extend(recorder.failures)
        else:
            self.failures = recorder.failures
        return self

    @property
    def complete(self) -> bool:
        """Every lookup answered: nothing legacy can hide in what this check did not see."""
        return not self.failures


class FrozenDict(dict):
    """A dict many reports share (a campaign's skipped checks, "no checks"): reading only.

    Not MappingProxyType: reports travel between processes, and that one does not pickle.
    """

    def _read_only(self, *args, **kwargs):
        raise TypeError("shared by many reports: read only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _read_only  # type: ignore[assignment]

    def __reduce__(self):
        return (FrozenDict, (dict(self),))


def unique(items: list[str]) -> list[str]:
    """In first-seen order, each once (a cached question asked twice was one lookup)."""
    return list(dict.fromkeys(items))
