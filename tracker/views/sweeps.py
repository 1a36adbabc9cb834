"""Sweeps of a campaign for operations: their health, and starting or resuming one by hand."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.filters import SweepFilterSet
from tracker.models import Campaign, Sweep
from tracker.queries import dashboards
from tracker.services.enqueue import BrokerUnavailable
from tracker.services.sweeps import sweep_recheck, sweep_resume, sweep_start
from tracker.tables import SweepTable
from tracker.views.decorators import ops_required
from tracker.views.listing import render_list

PER_PAGE = 25


@ops_required
def sweep_list(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    return render_list(
        request,
        queryset=Sweep.objects.filter(campaign=campaign).select_related("campaign", "requested_by"),
        filterset_class=SweepFilterSet,
        table_class=SweepTable,
        template_name="tracker/sweep_list.html",
        context={"campaign": campaign, "sweeps_running": dashboards.sweeps_running(campaign)},
        per_page=PER_PAGE,
    )


@ops_required
@require_POST
def sweep_create(request, slug):
    """Start a full sweep, or re-check only the legacy and inconclusive domains (`kind=recheck`)."""
    campaign = get_object_or_404(Campaign, slug=slug)
    try:
        if request.POST.get("kind") == "recheck":
            sweep = sweep_recheck(campaign, requested_by=request.user)
        else:
            sweep = sweep_start(campaign, requested_by=request.user, label="started by hand")
    except BrokerUnavailable as exc:
        messages.error(request, _("The sweep was not started. %(why)s") % {"why": exc})
        return redirect("tracker:sweep_list", slug=campaign.slug)
    messages.success(request, f"{sweep.get_kind_display()} queued: {sweep.total} domains.")
    return redirect("tracker:sweep_list", slug=campaign.slug)


@ops_required
@require_POST
def sweep_resume_view(request, slug, pk):
    """Re-queue the chunks of a sweep that lost its workers (stalled, partial or failed)."""
    sweep = get_object_or_404(Sweep, pk=pk, campaign__slug=slug)
    try:
        count = sweep_resume(sweep)
    except BrokerUnavailable as exc:
        messages.error(request, _("The sweep was not resumed. %(why)s") % {"why": exc})
        return redirect("tracker:sweep_list", slug=slug)
    messages.info(request, f"{count} unfinished chunk{'s' if count != 1 else ''} queued again.")
    return redirect("tracker:sweep_list", slug=slug)
