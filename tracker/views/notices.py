"""Customer notices: the rep's draft (edit, send by email or mark sent), the history, the campaign template.

Reps act on their own customers' notices (others are a 404, via
customers.access); ops on everyone's, and they alone edit the campaign's
template. Drafting, editing and sending go through tracker.services.notices.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.access import get_customer_for_user
from customers.choices import Language
from customers.models import Customer
from tracker.forms import NoticeForm, NoticeTemplateForm
from tracker.models import Campaign, NoticeTemplate
from tracker.queries.campaigns import active_campaign
from tracker.services.notices import (
    NoticeError,
    NoticeNeedsConfirmation,
    default_sources,
    notice_deadline,
    notice_deadline_passed,
    notice_draft,
    notice_edit,
    notice_language,
    notice_render,
    notice_send,
)
from tracker.views.decorators import ops_required

ACTIONS = {"save", "send", "mark_sent"}


def _notices(customer):
    """A customer's notices, newest first, for the history (one query)."""
    return customer.notices.select_related("campaign", "drafted_by", "sent_by")


def _notice_page(request, customer, campaign, notice, form=None, error="", status=200, confirm=False):
    if notice is not None and not notice.is_sent and form is None:
        form = NoticeForm(
            initial={"recipient": notice.recipient, "subject": notice.subject, "body": notice.body}
        )
    context = {
        "customer": customer,
        "campaign": campaign,
        "notice": notice,
        "form": form,
        "error": error,
        "sent_count": customer.notices.filter(sent_at__isnull=False).count(),
        "deadline": notice_deadline(campaign) if campaign is not None else None,
        "deadline_passed": campaign is not None and notice_deadline_passed(campaign),
        "confirm_past_deadline": confirm,
    }
    return render(request, "tracker/customer_notice.html", context, status=status)


def customer_notice(request, pk):
    """GET: the latest unsent draft for the active campaign (never writes). POST: draft a new one."""
    customer = get_customer_for_user(request.user, pk)
    campaign = active_campaign()
    if request.method == "POST":
        if campaign is None:
            return _notice_page(request, customer, None, None, error="There is no campaign.", status=409)
        try:
            notice_draft(
                customer, campaign, by=request.user, language=notice_language(request.POST.get("language"))
            )
        except NoticeError as error:
            return _notice_page(
                request, customer, campaign, None, error=f"Cannot draft: {error}.", status=409
            )
        messages.success(request, "Notice drafted: review and edit it before sending.")
        return redirect("tracker:customer_notice", pk=customer.pk)
    notice = None
    if campaign is not None:
        notice = (
            customer.notices.filter(campaign=campaign, sent_at__isnull=True)
            .select_related("drafted_by")
            .first()
        )
    return _notice_page(request, customer, campaign, notice)


@require_POST
def notice_update(request, pk, notice_pk):
    """Save the edited draft, then maybe send it by email or record it as sent by other means."""
    customer = get_customer_for_user(request.user, pk)
    notice = get_object_or_404(
        customer.notices.select_related("campaign", "drafted_by", "sent_by"), pk=notice_pk
    )
    action = request.POST.get("action", "save")
    if action not in ACTIONS:
        action = "save"
    form = NoticeForm(request.POST)
    if notice.is_sent:
        return _notice_page(
            request, customer, notice.campaign, notice, error="This notice was sent already.", status=409
        )
    if not form.is_valid():
        return _notice_page(request, customer, notice.campaign, notice, form=form, status=400)
    data = form.cleaned_data
    try:
        notice = notice_edit(notice, data["subject"], data["body"], data["recipient"])
        if action == "save":
            messages.success(request, "Draft saved.")
            return redirect("tracker:customer_notice", pk=customer.pk)
        notice = notice_send(
            notice,
            by=request.user,
            via_email=action == "send",
            confirm_past_deadline=request.POST.get("confirm_past_deadline") == "1",
        )
    except NoticeNeedsConfirmation as error:
        message = _("Not sent yet: %(error)s. Your edits are saved.") % {"error": error}
        return _notice_page(
            request, customer, notice.campaign, notice, form=form, error=message, status=409, confirm=action
        )
    except NoticeError as error:
        notice.refresh_from_db()
        if notice.is_sent:
            form = None
        message = f"Not sent: {error}." + (" Your edits are saved." if not notice.is_sent else "")
        return _notice_page(request, customer, notice.campaign, notice, form=form, error=message, status=409)
    if action == "send":
        messages.success(request, f"Notice sent by email to {notice.recipient}.")
    else:
        messages.success(request, "Notice recorded as given by other means.")
    return redirect("tracker:customer_notices", pk=customer.pk)


def customer_notices(request, pk):
    """Every notice to the customer, with its full text: 'did we tell them?'."""
    customer = get_customer_for_user(request.user, pk)
    return render(
        request, "tracker/customer_notices.html", {"customer": customer, "notices": _notices(customer)}
    )


def _sample_customer():
    """The customer the template preview is rendered for: the first one (by name) with a domain."""
    return (
        Customer.objects.filter(domains__isnull=False)
        .select_related("rep")
        .order_by("name")
        .distinct()
        .first()
    )


@ops_required
def notice_template_edit(request, slug):
    """Ops edit the campaign's notice template in one language (?language=ja|en), with a preview."""
    campaign = get_object_or_404(Campaign, slug=slug)
    language = notice_language(request.POST.get("language") or request.GET.get("language"))
    template = NoticeTemplate.objects.filter(campaign=campaign, language=language).first() or NoticeTemplate(
        campaign=campaign, language=language
    )
    initial = {} if template.pk else default_sources(language)
    form = NoticeTemplateForm(request.POST or None, instance=template, initial=initial)
    sample = _sample_customer()
    preview = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
            try:
                preview = notice_render(sample, campaign, subject, body, language) if sample else None
            except NoticeError as error:
                form.add_error("body", str(error)[:1].upper() + str(error)[1:] + ".")
            else:
                status = 200
                if request.POST.get("action") != "preview":
                    form.save()
                    messages.success(request, f"Notice template of “{campaign.name}” saved.")
                    url = reverse("tracker:notice_template_edit", kwargs={"slug": campaign.slug})
                    return redirect(f"{url}?language={language}")
    elif sample is not None:
        try:
            preview = notice_render(
                sample, campaign, template.subject or None, template.body or None, language
            )
        except NoticeError as error:
            messages.error(request, f"The saved template cannot be rendered: {error}.")
    context = {
        "campaign": campaign,
        "form": form,
        "sample": sample,
        "preview": preview,
        "template": template,
        "language": language,
        "languages": Language.choices,
    }
    return render(request, "tracker/notice_template_form.html", context, status=status)
