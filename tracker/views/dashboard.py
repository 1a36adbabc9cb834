"""The operations dashboard of a campaign, and the home page that leads to it."""

import datetime as dt

from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tables2 import RequestConfig

from customers.choices import MigrationStatus
from customers.roles import is_ops
from tracker.choices import Verdict
from tracker.models import Campaign
from tracker.queries import dashboards
from tracker.queries import rep_home as rep_home_queries
from tracker.queries.campaigns import active_campaign
from tracker.queries.references import references_panel
from tracker.services.daily_figures import daily_figures_refresh_soon
from tracker.services.home_visits import home_visit_record
from tracker.tables import RepProgressTable, SweepTable, filtered_url
from tracker.views.decorators import ops_required


def home(request):
    """`/`: operations land on the dashboard, reps on their own home page."""
    if is_ops(request.user) and active_campaign() is not None:
        return redirect("tracker:dashboard_home")
    return rep_home(request)


def rep_home(request):
    """A rep's day: customers still to move, tasks due this week, progress against team and deadline,
    and the DNS changes since the last look."""
    user, today = request.user, timezone.localdate()
    campaign = active_campaign()
    since = home_visit_record(user)
    to_move_count, to_move = rep_home_queries.customers_to_move(user)
    changes_count, changes = rep_home_queries.dns_changes_since(user, campaign, since)
    context = {
        "campaign": campaign,
        "deadlines": dashboards.deadlines(campaign, today) if campaign else None,
        "to_move": to_move,
        "to_move_count": to_move_count,
        "to_move_url": filtered_url(
            "tracker:customer_list",
            [("status", status.value) for status in MigrationStatus if status.is_active],
        ),
        "task_groups": rep_home_queries.tasks_this_week(user, campaign, today),
        "week_end": rep_home_queries.week_end(today),
        "progress": rep_home_queries.progress(user, campaign, today),
        "changes": changes,
        "changes_count": changes_count,
        "since": since,
        "today": today,
    }
    return render(request, "tracker/rep_home.html", context)


@ops_required
def dashboard_home(request):
    campaign = active_campaign()
    if campaign is None:
        return redirect("tracker:campaign_list")
    return redirect("tracker:campaign_dashboard", slug=campaign.slug)


def _domains_url(campaign, **filters) -> str:
    return filtered_url("tracker:domain_list", {"campaign": campaign.slug, **filters})


def _verdict_cards(campaign, figures) -> list[dict]:
    return [
        {
            "label": verdict.label,
            "colour": verdict.colour,
            "count": figures[f"verdict_{verdict.value}"],
            "url": _domains_url(campaign, verdict=verdict.value),
        }
        for verdict in Verdict
    ]


def _customers_url(**filters) -> str:
    return filtered_url("tracker:customer_list", filters)


def _headline(label, value, week_ago, url, unknown=None, unknown_url=None, key=""):
    """One headline figure with its change since a week ago (None when the history does not reach back)."""
    return {
        "key": key,
        "label": label,
        "value": value,
        "change": None if week_ago is None else value - week_ago,
        "url": url,
        "unknown": unknown,
        "unknown_url": unknown_url,
    }


def _headlines(campaign, live, week_ago) -> dict[str, list[dict]]:
    """Question 1 (still legacy) and question 2 (would break today), each in customers and domains.

    Unknown (the last lookup failed) is its own number beside each: never folded into 0.
    """
    legacy, inconclusive = Verdict.LEGACY.value, Verdict.INCONCLUSIVE.value
    return {
        "legacy": [
            _headline(
                _("Customers still on legacy"),
                live["legacy_customers"],
                week_ago["legacy_customers"],
                _customers_url(verdict=legacy),
                live["unknown_customers"],
                _customers_url(verdict=inconclusive),
                key="legacy-customers",
            ),
            _headline(
                _("Domains still on legacy"),
                live["legacy_domains"],
                week_ago["legacy_domains"],
                _domains_url(campaign, verdict=legacy),
                live["unknown_domains"],
                _domains_url(campaign, verdict=inconclusive),
                key="legacy-domains",
            ),
        ],
        "breaking": [
            _headline(
                _("Customers who break"),
                live["breaking_customers"],
                week_ago["breaking_customers"],
                _customers_url(breaks="true"),
                live["unknown_customers"],
                _customers_url(verdict=inconclusive),
                key="breaking-customers",
            ),
            _headline(
                _("Domains that break"),
                live["breaking_domains"],
                week_ago["breaking_domains"],
                _domains_url(campaign, breaks="true"),
                live["unknown_domains"],
                _domains_url(campaign, verdict=inconclusive),
                key="breaking-domains",
            ),
        ],
    }


def _posture_rows(campaign, figures) -> list[dict]:
    rows = [
        ("SPF published", "spf_present", {"has_spf": "true"}),
        ("No SPF record", "spf_missing", {"has_spf": "false"}),
        ("SPF over 10 lookups", "spf_over_limit", {"spf_over_limit": "true"}),
        ("DMARC published", "dmarc_present", {"has_dmarc": "true"}),
        ("No DMARC record", "dmarc_missing", {"has_dmarc": "false"}),
        ("DMARC p=none", "dmarc_none", {"dmarc_policy": "none"}),
        ("DMARC p=quarantine", "dmarc_quarantine", {"dmarc_policy": "quarantine"}),
        ("DMARC p=reject", "dmarc_reject", {"dmarc_policy": "reject"}),
        ("Deprecated DMARC tags (pct, rf, ri)", "deprecated_tags", {"deprecated_tags": "true"}),
    ]
    total = figures["total"] or 1
    return [
        {
            "label": label,
            "count": figures[key],
            "percent": 100 * figures[key] / total,
            "url": _domains_url(campaign, **filters),
        }
        for label, key, filters in rows
    ]


@ops_required
def campaign_dashboard(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    today = timezone.localdate()
    stored = dashboards.stored_details(campaign)
    if not stored.current:
        daily_figures_refresh_soon(campaign)  # the page says "as of"; the poll picks up the recount
    figures, live = stored.details["figures"], stored.details["live"]
    burndown = dashboards.burndown(campaign, today, live)
    first_day = dt.date.fromisoformat(burndown["start"])
    recent_sweeps = list(dashboards.recent_sweeps(campaign))
    by_rep_and_status = dashboards.customers_by_rep_and_status()
    reps = dashboards.rep_progress(
        campaign, today, stored.details["legacy_by_rep"], first_day, by_rep_and_status
    )
    rep_table = RepProgressTable(reps, campaign=campaign, prefix="reps-")
    RequestConfig(request, paginate={"per_page": 25}).configure(rep_table)
    context = {
        "campaign": campaign,
        "campaigns": Campaign.objects.filter(active=True),
        "deadlines": dashboards.deadlines(campaign, today),
        "figures": figures,
        "verdict_cards": _verdict_cards(campaign, figures),
        "legacy_url": _domains_url(campaign, verdict=Verdict.LEGACY.value),
        "inconclusive_url": _domains_url(campaign, verdict=Verdict.INCONCLUSIVE.value),
        "breaking_url": _domains_url(campaign, breaks="true"),
        "legacy_mx_url": _domains_url(campaign, reference_kind="mx"),
        "legacy_include_url": _domains_url(campaign, reference_kind="spf-include"),
        "legacy_ip_url": _domains_url(campaign, reference_kind="spf-ip"),
        "posture_rows": _posture_rows(campaign, figures),
        "posture_chart": dashboards.posture_chart(figures),
        "funnel": [
            dict(row, url=filtered_url("tracker:customer_list", {"status": row["status"].value}))
            for row in dashboards.status_funnel(by_rep_and_status)
        ],
        "rep_table": rep_table,
        "overdue_tasks": dashboards.overdue_task_count(campaign, today),
        "end_passed": dashboards.deadlines(campaign, today).end_passed,
        "overdue_url": filtered_url("tracker:task_list", {"campaign": campaign.slug, "overdue": "true"}),
        "sweep_table": SweepTable(recent_sweeps),
        "burndown": burndown,
        "live": live,
        "stored": stored,
        # The newest sweeps are the ones that may still run: no query of their own.
        "work_running": not stored.current or any(not sweep.is_finished for sweep in recent_sweeps),
        "headlines": _headlines(campaign, live, burndown["week_ago"]),
        "behind_count": sum(row.behind for row in reps),
        # Cached while the stored figures stand: the panel is recounted with them.
        "references_panel": references_panel(campaign, (str(stored.recorded_at), stored.current)),
    }
    return render(request, "tracker/dashboard.html", context)
