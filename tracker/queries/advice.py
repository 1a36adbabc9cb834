"""What we tell a customer about SPF: a record only when the engine verified it, else why not and what to decide.

Notices and task cards both read `spf_advice_text()`, from a stored report or from a
task's stored evidence (plain data: status, reasons, message). A record is a promise:
it is offered only when `advice.status` is `verified`; a failed lookup never reads as
"nothing to change". The engine's message (English, may quote DNS text) is used only
as the detail of a sentence of ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

VERIFIED, NOT_NEEDED, WITHHELD, FIX_FIRST, UNKNOWN = (
    "verified",
    "not_needed",
    "withheld",
    "fix_first",
    "unknown",
)
MULTIPLE_RECORDS = "multiple_records"

# The engine's own framing around the detail we quote (tracker/probe/spf/advice.py).
_ENGINE_FRAMES = (
    re.compile(r"^(fix this first|no record suggested|not known yet):\s*", re.I),
    re.compile(r"\s*(then we can suggest the change for .*|we check again on the next sweep\.?)$", re.I),
)


@dataclass(frozen=True)
class SpfAdviceText:
    """`records` [(where, record)] only when verified; otherwise `text` says why none, in words to pass on."""

    status: str
    records: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED and bool(self.records)

    @property
    def needs_change(self) -> bool:
        return self.status != NOT_NEEDED


def engine_detail(message: str) -> str:
    """The engine's message without its own "Fix this first:" / "Then we can suggest…" frame."""
    text = message.strip()
    for frame in _ENGINE_FRAMES:
        text = frame.sub("", text).strip()
    return text.rstrip(".")


def successor_include(campaign_successor: dict) -> str:
    includes = (campaign_successor or {}).get("spf_includes") or []
    return f"include:{includes[0]}" if includes else ""


def spf_advice_text(
    *,
    status: str,
    reasons,
    message: str,
    records,
    where: str,
    successor: dict,
    failure: str | None = None,
) -> SpfAdviceText:
    """The SPF part of a notice line or task card (see the module docstring).

    records: the engine's verified records, [{domain, record}]; failure: the failed lookup, named.
    """
    include = successor_include(successor)
    name = (successor or {}).get("name") or _("the new service")
    must = (
        _("it must include %(include)s for %(name)s") % {"include": include, "name": name}
        if include
        else _("it must authorize the servers of %(name)s") % {"name": name}
    )
    detail = engine_detail(message or "")
    values = {"where": where, "must": must, "detail": detail, "failure": failure or detail}
    if status == VERIFIED and records:
        return SpfAdviceText(VERIFIED, [(r["domain"], r["record"]) for r in records])
    if status == NOT_NEEDED:
        return SpfAdviceText(NOT_NEEDED)
    if status == FIX_FIRST and MULTIPLE_RECORDS in (reasons or ()):
        text = _(
            "fix this first: %(where)s publishes more than one SPF record, which every receiver treats as an"
            " error: replace them all with one single record (%(must)s); then we send you the record to publish"
        )
    elif status == FIX_FIRST:
        text = _(
            "fix this first: the SPF record at %(where)s is already broken (%(detail)s); once it is fixed we"
            " send you the record to publish"
        )
    elif status == WITHHELD:
        text = _(
            "we cannot offer a record we have checked for %(where)s: %(detail)s. Please decide how you want to"
            " change it (%(must)s) and tell us: we check it before you publish it"
        )
    else:  # unknown: a lookup failed, the tree was cut, or the report predates checked advice
        if not values["failure"]:
            values["failure"] = _("the check did not finish")
        text = _(
            "we could not check the SPF record of %(where)s yet (%(failure)s): we check again and tell you"
            " what to change"
        )
    return SpfAdviceText(status if status in (FIX_FIRST, WITHHELD) else UNKNOWN, text=text % values)
