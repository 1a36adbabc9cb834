"""The DNS references to the legacy service by kind and by what they break: the domain page, the lists,
the dashboard panel.

DomainState keeps each domain's reference kinds and what they break as JSON lists;
matching an item as JSON text (`"mta-sts"` with its quotes, so `mx` is not
`mx-address`) works on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tracker.choices import Verdict
from tracker.models import DomainState
from tracker.probe.checks import CHECK_KINDS
from tracker.probe.report import OTHER_REFERENCE_KINDS
from tracker.probe.stored import StoredReport

KIND_LABELS = {
    "mx": _("MX host"),
    "mx-address": _("MX address"),
    "spf-include": _("SPF include"),
    "spf-redirect": _("SPF redirect"),
    "spf-ip": _("SPF address"),
    "mta-sts": _("MTA-STS policy"),
    "tls-rpt": _("TLS-RPT reports"),
    "dmarc-report": _("DMARC report address"),
    "dkim": _("DKIM key"),
    "client-host": _("Mail client name"),
    "srv": _("SRV record"),
    "tlsa": _("DANE TLSA"),
}
# Worst first: what reps should work on first.
BREAKS_LABELS = {
    "mx_move": _("Blocks the MX move"),
    "end_date": _("Stops at the end date"),
    "cleanup": _("Breaks at cleanup"),
    "quiet": _("Reports lost quietly"),
    "nothing": _("Unused leftover"),
}
OTHER_KIND_CHOICES = tuple((kind, KIND_LABELS[kind]) for kind in OTHER_REFERENCE_KINDS)
BREAKS_CHOICES = tuple(BREAKS_LABELS.items())
MX_MOVE = "mx_move"


def with_reference_kind(queryset: QuerySet, kind: str) -> QuerySet:
    """States with a reference of this kind."""
    return queryset.filter(reference_kinds__icontains=f'"{kind}"')


def with_reference_breaks(queryset: QuerySet, breaks: str) -> QuerySet:
    """States with a reference that breaks this way."""
    return queryset.filter(reference_breaks__icontains=f'"{breaks}"')


def blocking_mx_move(campaign, domains: QuerySet) -> QuerySet:
    """The states of `domains` (already cut to what the user may see) whose references block the MX move."""
    states = DomainState.objects.filter(campaign=campaign, domain__in=domains)
    return with_reference_breaks(states, MX_MOVE).select_related(
        "domain", "domain__customer", "domain__customer__rep"
    )


def references_by_kind(report: dict | None) -> dict:
    """A stored report's references grouped by kind and by what they break, with what each check looked up.

    `checks`: per check that knows the kinds, whether it ran, why not, and the
    lookups that failed (a failed lookup is "unknown", never "none found").
    """
    if not report:
        return {"by_kind": [], "by_breaks": [], "checks": [], "complete": False}
    stored = StoredReport(report)
    by_kind: dict[str, list] = {}
    by_breaks: dict[str, list] = {}
    for ref in stored.references:
        row = {"kind": ref.kind, "value": ref.value, "path": list(ref.path), "breaks": ref.breaks}
        by_kind.setdefault(ref.kind, []).append(row)
        by_breaks.setdefault(ref.breaks or "", []).append(row)
    checks = []
    for name, data in (report.get("checks") or {}).items():
        checks.append(
            {
                "name": name,
                "kinds": [str(KIND_LABELS.get(kind, kind)) for kind in CHECK_KINDS.get(name, ())],
                "skipped": data.get("skipped"),
                "failed": [
                    f"{e.get('name')} {e.get('type')}: {e.get('error')}" for e in data.get("failed") or []
                ],
                "looked_up": len(data.get("looked_up") or []),
                "found": sum(len(by_kind.get(kind, [])) for kind in CHECK_KINDS.get(name, ())),
            }
        )
    order = list(BREAKS_LABELS)
    return {
        "by_kind": [
            {"kind": kind, "label": KIND_LABELS.get(kind, kind), "references": rows}
            for kind, rows in sorted(
                by_kind.items(),
                key=lambda item: list(KIND_LABELS).index(item[0]) if item[0] in KIND_LABELS else 99,
            )
        ],
        "by_breaks": [
            {
                "breaks": breaks,
                "label": BREAKS_LABELS.get(breaks, breaks or _("not stated")),
                "count": len(rows),
            }
            for breaks, rows in sorted(
                by_breaks.items(), key=lambda item: order.index(item[0]) if item[0] in order else 99
            )
        ],
        "checks": checks,
        # "None found" is only a fact when every lookup answered.
        "complete": stored.complete and not any(check["failed"] for check in checks),
    }


PANEL_TTL = 300


def references_panel(campaign, version: tuple | None = None) -> dict:
    """Dashboard counts: domains per other reference kind and per what breaks, and how many are unknown.

    One pass over the campaign's states, cached while the dashboard's data `version` holds.
    """
    key = f"tracker:references_panel:{campaign.pk}"
    if version is not None:
        hit = cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
    panel = _references_panel(campaign)
    if version is not None:
        cache.set(key, (version, panel), timeout=PANEL_TTL)
    return panel


def _references_panel(campaign) -> dict:
    rows = DomainState.objects.filter(campaign=campaign).values_list(
        "verdict", "reference_kinds", "reference_breaks"
    )
    kinds = dict.fromkeys(OTHER_REFERENCE_KINDS, 0)  # MX and SPF have their rows on the dashboard already
    breaks = dict.fromkeys(BREAKS_LABELS, 0)
    unknown = 0
    for verdict, ref_kinds, ref_breaks in rows.iterator():
        if verdict == Verdict.INCONCLUSIVE:
            unknown += 1  # its references are not known: never counted as none
            continue
        for kind in ref_kinds or ():
            if kind in kinds:
                kinds[kind] += 1
        for item in ref_breaks or ():
            if item in breaks:
                breaks[item] += 1
    return {
        "by_kind": [{"kind": k, "label": str(KIND_LABELS[k]), "count": n} for k, n in kinds.items()],
        "by_breaks": [{"breaks": b, "label": str(BREAKS_LABELS[b]), "count": n} for b, n in breaks.items()],
        "unknown": unknown,
        "blocking_mx_move": breaks[MX_MOVE],
    }
