"""A customer's activity log: reps log calls, mails and meetings from the customer's page."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.access import get_customer_for_user
from tracker.forms import ActivityForm
from tracker.queries.campaigns import active_campaign
from tracker.services.activities import activity_log


@require_POST
def activity_add(request, customer_pk):
    customer = get_customer_for_user(request.user, customer_pk)
    form = ActivityForm(request.POST)
    target = reverse("tracker:customer_detail", args=[customer.pk]) + "#activity-log"
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                label = form.fields[field].label if field in form.fields else ""
                messages.error(request, f"{label}: {error}")
        return redirect(target)
    campaign = active_campaign()
    activity = activity_log(customer=customer, by=request.user, campaign=campaign, **form.cleaned_data)
    if activity.next_step_task is not None:
        messages.success(
            request,
            _("Logged. The next step is in your task list for %(day)s.")
            % {"day": f"{activity.next_step_task.due_date:%Y-%m-%d}"},
        )
    elif activity.next_step_date is not None:
        messages.warning(request, _("Logged; there is no active campaign to put the next step under."))
    else:
        messages.success(request, _("Logged."))
    return redirect(target)
