"""Fetching one domain's SPF record: the TXT query and record selection (RFC 7208 4.4, 4.5)."""

from __future__ import annotations

from dataclasses import dataclass

from ..resolver import Answer, Resolver
from .parser import is_spf_record


@dataclass
class SpfLookup:
    """What a domain publishes as SPF: every `v=spf1` TXT record, and the raw answer."""

    domain: str
    records: tuple[str, ...]
    answer: Answer

    @property
    def failed(self) -> bool:
        """No answer (timeout, SERVFAIL, ...): the record is unknown, not absent."""
        return self.answer.failed

    @property
    def none(self) -> bool:
        """The domain answered and publishes no SPF record (also NXDOMAIN)."""
        return not self.failed and not self.records

    @property
    def multiple(self) -> bool:
        """More than one `v=spf1` record: a permerror for every receiver (section 4.5)."""
        return len(self.records) > 1


async def fetch_spf(resolver: Resolver, domain: str) -> SpfLookup:
    """Ask for the TXT records of domain and keep those that are SPF (type SPF is obsolete)."""
    answer = await resolver.query(domain, "TXT")
    records = tuple(txt for txt in answer.records if is_spf_record(txt)) if not answer.failed else ()
    return SpfLookup(domain=answer.name, records=records, answer=answer)
