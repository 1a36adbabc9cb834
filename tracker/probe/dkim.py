"""DKIM: does the domain publish the successor's signing keys (campaign `dkim_selectors`)?

Extra information beside the contract's fields (report key `dkim`): a customer
who moved MX and SPF but forgot the DKIM keys will fail DMARC alignment on
mail signed by the successor. It never affects the verdict.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracker.probe.limits import MAX_DKIM_SELECTORS

if TYPE_CHECKING:
    from tracker.probe.resolver import Answer, Resolver


@dataclass(frozen=True)
class SelectorCheck:
    """One `<selector>._domainkey.<domain>`: published (key present), revoked (`p=` empty) or absent."""

    selector: str
    name: str
    published: bool | None  # None when the lookup failed
    detail: str = ""  # "revoked (empty p=)", "no DKIM key record", the failure reason...

    def to_json(self) -> dict[str, Any]:
        return {
            "selector": self.selector,
            "name": self.name,
            "published": self.published,
            "detail": self.detail,
        }


@dataclass
class DkimAnalysis:
    domain: str
    selectors: list[SelectorCheck] = field(default_factory=list)
    failures: list[Answer] = field(default_factory=list)

    @property
    def all_published(self) -> bool | None:
        values = [check.published for check in self.selectors]
        if any(v is False for v in values):
            return False
        return None if any(v is None for v in values) else bool(values)

    def to_json(self) -> dict[str, Any]:
        return {
            "all_published": self.all_published,
            "selectors": [check.to_json() for check in self.selectors],
        }


def key_tags(text: str) -> dict[str, str]:
    """The tag=value pairs of a DKIM key record (RFC 6376 3.6.1); whitespace inside values removed."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            tags.setdefault(name.strip().lower(), "".join(value.split()))
    return tags


def _judge(selector: str, answer: Answer) -> SelectorCheck:
    if answer.failed:
        return SelectorCheck(selector, answer.name, None, answer.failure_reason)
    keys = [key_tags(txt) for txt in answer.records]
    keys = [tags for tags in keys if "p" in tags and tags.get("v", "DKIM1") == "DKIM1"]
    if any(tags["p"] for tags in keys):
        return SelectorCheck(selector, answer.name, True, "key published")
    if keys:
        return SelectorCheck(selector, answer.name, False, "revoked (empty p=)")
    return SelectorCheck(selector, answer.name, False, "no DKIM key record")


async def analyze_dkim(resolver: Resolver, domain: str, selectors: tuple[str, ...]) -> DkimAnalysis:
    """Look up each selector's key (CNAMEs to a provider's key are followed by the resolver)."""
    chosen = selectors[:MAX_DKIM_SELECTORS]
    answers = await asyncio.gather(*(resolver.query(f"{sel}._domainkey.{domain}", "TXT") for sel in chosen))
    result = DkimAnalysis(domain=domain)
    for selector, answer in zip(chosen, answers, strict=True):
        result.selectors.append(_judge(selector, answer))
        if answer.failed:
            result.failures.append(answer)
    return result
