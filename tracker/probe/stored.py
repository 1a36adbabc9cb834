"""A stored domain report read back with types: the one reader of the report JSON.

Checks keep the engine's report as JSON (docs/domain-report.md). Every module that
reads one (the history writer, the follow-up rules, notices, the domain page) goes
through `StoredReport` instead of indexing dicts, so a field is interpreted in one
place and the reference kinds are declared once (tracker.probe.report). Reports
stored by older versions lack newer fields: every part reads as "not known" then.
Every string in a report came from DNS: callers escape it wherever it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from tracker.probe.limits import SPF_MAX_DNS_LOOKUPS
from tracker.probe.report import (
    MX_REFERENCE_KINDS,
    SPF_ADDRESS_KINDS,
    SPF_POINTER_KINDS,
    SPF_REFERENCE_KINDS,
)

# What a failed SPF or DMARC lookup looks like in `errors` (the engine names parts it could not run).
_SPF_ERROR_TYPES = ("TXT", "spf")


@dataclass(frozen=True, slots=True)
class StoredReference:
    """A legacy term found in DNS; `path` runs from the customer's domain to the record holding it."""

    kind: str
    value: str
    path: tuple[str, ...]
    breaks: str | None = None  # end_date, cleanup, mx_move, quiet, nothing (None in older reports)

    @property
    def holder(self) -> str | None:
        """The domain whose record holds the term (the path's last name)."""
        return self.path[-1] if self.path else None

    @property
    def term(self) -> str:
        """The term as an SPF record writes it: `include:x`, `redirect=x`, or the address."""
        prefix = {"spf-include": "include:", "spf-redirect": "redirect="}.get(self.kind, "")
        return f"{prefix}{self.value}"

    def text(self) -> str:
        """One line for a timeline or a log: `spf-include spf.po.example (via a > b)`."""
        return f"{self.kind} {self.value} (via {' > '.join(self.path)})"


@dataclass(frozen=True, slots=True)
class StoredError:
    """A lookup that got no answer: the queried name, the record type, and why."""

    name: str
    type: str
    error: str

    def text(self) -> str:
        return f"{self.name} {self.type}: {self.error}"


@dataclass(frozen=True, slots=True)
class SpfAdvice:
    """What the engine advises for the SPF record (tracker.probe.spf.advice): status and reason codes.

    Rules and pages read these codes, never the wording of a warning. A report from
    before the engine gave advice reads as `unknown`.
    """

    status: str
    reasons: tuple[str, ...]
    message: str
    lookups: int | None
    records: tuple[dict, ...]

    @classmethod
    def from_json(cls, data: dict) -> SpfAdvice:
        return cls(
            status=data.get("status") or "unknown",
            reasons=tuple(data.get("reasons") or ()),
            message=data.get("message") or "",
            lookups=data.get("lookups"),
            records=tuple(data.get("records") or ()),
        )

    @property
    def verified(self) -> bool:
        """A rewritten record was evaluated and passed every check: it may be given to the customer."""
        return self.status == "verified"

    @property
    def withheld_for_lookups(self) -> bool:
        """A change is needed, but the rewrite would go over the lookup limit."""
        return self.status in ("withheld", "fix_first") and "too_many_lookups" in self.reasons


@dataclass(frozen=True, slots=True)
class SpfPart:
    record: str | None
    records: dict[str, list[str]]
    dns_lookups: int | None
    void_lookups: int | None
    breaks_on_legacy_removal: bool | None
    authorizes_successor: bool | None
    authorizes_legacy: bool | None
    suggested_record: str | None
    suggested_for: str | None
    warnings: tuple[str, ...]
    error: str | None
    advice: SpfAdvice

    @property
    def over_lookup_limit(self) -> bool | None:
        return None if self.dns_lookups is None else self.dns_lookups > SPF_MAX_DNS_LOOKUPS

    def record_at(self, domain: str | None) -> str | None:
        """The (first) SPF record the tree saw at `domain`."""
        texts = self.records.get(domain or "") or []
        return texts[0] if texts else None

    def all_records(self, domain: str) -> dict[str, list[str]]:
        """Every record of the tree by domain; old reports kept only the customer's own."""
        if self.records:
            return self.records
        return {domain: [self.record]} if self.record else {}


@dataclass(frozen=True, slots=True)
class MxPart:
    hosts: tuple[str, ...]
    error: str | None


@dataclass(frozen=True, slots=True)
class DmarcPart:
    record: str | None
    policy: str | None
    policy_domain: str | None
    deprecated_tags: tuple[str, ...]
    warnings: tuple[str, ...]
    error: str | None


class StoredReport:
    """Typed, read-only access to one report dict as the engine wrote it."""

    def __init__(self, data: dict[str, Any]):
        self.data = data

    def __repr__(self) -> str:
        return f"StoredReport({self.domain!r}, {self.verdict!r})"

    @property
    def domain(self) -> str:
        return self.data.get("domain", "")

    @property
    def verdict(self) -> str:
        return self.data["verdict"]

    @property
    def on_successor(self) -> bool | None:
        return self.data.get("on_successor")

    # -- references ----------------------------------------------------------------------------

    @cached_property
    def references(self) -> tuple[StoredReference, ...]:
        return tuple(
            StoredReference(
                ref["kind"], str(ref.get("value", "")), tuple(ref.get("path") or ()), ref.get("breaks")
            )
            for ref in self.data.get("legacy_references") or []
        )

    def references_of(self, kinds) -> list[StoredReference]:
        return [ref for ref in self.references if ref.kind in kinds]

    @property
    def reference_kinds(self) -> list[str]:
        return sorted({ref.kind for ref in self.references})

    @property
    def reference_breaks(self) -> list[str]:
        """What the references break, each once (reports from before `breaks` give none)."""
        return sorted({ref.breaks for ref in self.references if ref.breaks})

    @property
    def mx_references(self) -> list[StoredReference]:
        return self.references_of(MX_REFERENCE_KINDS)

    @property
    def spf_references(self) -> list[StoredReference]:
        return self.references_of(SPF_REFERENCE_KINDS)

    @property
    def has_legacy_mx(self) -> bool:
        return bool(self.mx_references)

    @property
    def has_legacy_spf_pointer(self) -> bool:
        return bool(self.references_of(SPF_POINTER_KINDS))

    @property
    def has_legacy_spf_address(self) -> bool:
        return bool(self.references_of(SPF_ADDRESS_KINDS))

    # -- parts ---------------------------------------------------------------------------------

    @cached_property
    def spf(self) -> SpfPart:
        spf = self.data.get("spf") or {}
        return SpfPart(
            record=spf.get("record"),
            records={str(d): list(texts) for d, texts in (spf.get("records") or {}).items()},
            dns_lookups=spf.get("dns_lookups"),
            void_lookups=spf.get("void_lookups"),
            breaks_on_legacy_removal=spf.get("breaks_on_legacy_removal"),
            authorizes_successor=spf.get("authorizes_successor"),
            authorizes_legacy=spf.get("authorizes_legacy"),
            suggested_record=spf.get("suggested_record"),
            suggested_for=spf.get("suggested_for"),
            warnings=tuple(spf.get("warnings") or ()),
            error=spf.get("error"),
            advice=SpfAdvice.from_json(spf.get("advice") or {}),
        )

    @cached_property
    def mx(self) -> MxPart:
        mx = self.data.get("mx") or {}
        return MxPart(hosts=tuple(mx.get("hosts") or ()), error=mx.get("error"))

    @cached_property
    def dmarc(self) -> DmarcPart:
        dmarc = self.data.get("dmarc") or {}
        return DmarcPart(
            record=dmarc.get("record"),
            policy=dmarc.get("policy"),
            policy_domain=dmarc.get("policy_domain"),
            deprecated_tags=tuple(dmarc.get("deprecated_tags") or ()),
            warnings=tuple(dmarc.get("warnings") or ()),
            error=dmarc.get("error"),
        )

    # -- failures ------------------------------------------------------------------------------

    @cached_property
    def errors(self) -> tuple[StoredError, ...]:
        return tuple(
            StoredError(str(e.get("name", "")), str(e.get("type", "")), str(e.get("error", "")))
            for e in self.data.get("errors") or []
        )

    @property
    def complete(self) -> bool:
        """Every lookup answered."""
        return not self.errors

    @property
    def timed_out(self) -> bool:
        """Some lookup timed out (the DNS server may be unreachable)."""
        return any(error.error == "timeout" for error in self.errors)

    @property
    def spf_lookup_failed(self) -> bool:
        """The customer's own TXT (SPF) lookup failed: whether it publishes SPF is unknown."""
        return any(e.name == self.domain and e.type in _SPF_ERROR_TYPES for e in self.errors)

    @property
    def dmarc_lookup_failed(self) -> bool:
        return any(e.name.startswith("_dmarc.") or e.type == "dmarc" for e in self.errors)
