"""Campaign pages for operations: the list and the settings form."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from tracker.choices import CampaignChangeSource
from tracker.forms import CampaignForm
from tracker.models import Campaign
from tracker.services.campaigns import campaign_save
from tracker.views.decorators import ops_required


@ops_required
def campaign_list(request):
    return render(request, "tracker/campaign_list.html", {"campaigns": Campaign.objects.all()})


@ops_required
def campaign_edit(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST":
        if form.is_valid():
            campaign_save(
                form.save(commit=False),
                source=CampaignChangeSource.FORM,
                by=request.user,
                impact=form.impact,
                confirmed=form.cleaned_data["confirm_legacy_change"],
            )
            messages.success(request, f"Campaign “{campaign.name}” saved.")
            return redirect("tracker:campaign_edit", slug=campaign.slug)
        status = 400
    else:
        status = 200
    changes = campaign.changes.select_related("changed_by")[:10]
    return render(
        request,
        "tracker/campaign_form.html",
        {"campaign": campaign, "form": form, "changes": changes},
        status=status,
    )
