"""Alert channels for operations: add, edit, switch off, send a test; and the delivery log."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.choices import AlertEvent
from tracker.forms import AlertChannelForm
from tracker.models import AlertChannel, AlertDelivery
from tracker.services.alerts import alert_raise
from tracker.views.decorators import ops_required

RECENT_DELIVERIES = 50


@ops_required
def alert_channels(request, pk=None):
    channel = get_object_or_404(AlertChannel, pk=pk) if pk else None
    form = AlertChannelForm(request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Channel “%(name)s” saved.") % {"name": saved.name})
        return redirect("tracker:alert_channels")
    context = {
        "form": form,
        "editing": channel,
        "channels": AlertChannel.objects.all(),
        "deliveries": AlertDelivery.objects.select_related("channel")[:RECENT_DELIVERIES],
    }
    return render(request, "tracker/alert_channels.html", context, status=400 if form.errors else 200)


@ops_required
@require_POST
def alert_channel_test(request, pk):
    """A test alert to this channel only (its outcome shows in the log below)."""
    channel = get_object_or_404(AlertChannel, pk=pk)
    alert_raise(
        AlertEvent.SWEEP_FINISHED,
        _("Test alert from the retirement tracker"),
        _("Sent by %(user)s to check the channel “%(name)s”.") % {"user": request.user, "name": channel.name},
        {"test": True},
        only=channel,
    )
    messages.info(request, _("Test alert queued; its delivery shows in the log."))
    return redirect("tracker:alert_channels")
