"""Forms of the pages: customers (edit, status, domains, import), campaign settings, task actions, notices."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator
from django.template import TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import NOTES_MAX_LENGTH, Customer
from customers.roles import REPS_GROUP
from tracker.common.forms import style_widgets
from tracker.models import Campaign, NoticeTemplate
from tracker.probe import campaign as probe_campaign
from tracker.services.notices import compile_notice_template

# The contract's per-service lists, edited one entry per line.
SERVICE_LISTS = {
    "legacy": ("mx_hosts", "spf_includes", "ip_ranges", "outbound_ips"),
    "successor": ("mx_hosts", "spf_includes", "ip_ranges", "outbound_ips", "dkim_selectors"),
}
LIST_LABELS = {
    "mx_hosts": "MX hosts",
    "spf_includes": "SPF includes",
    "ip_ranges": "IP ranges",
    "outbound_ips": "Outbound IPs",
    "dkim_selectors": "DKIM selectors",
}
LIST_HELP = {
    "mx_hosts": "One host per line; *.suffix matches any host under suffix.",
    "spf_includes": "One SPF domain per line (include:/redirect= targets).",
    "ip_ranges": "One CIDR block per line (IPv4 or IPv6).",
    "outbound_ips": "One IP address per line: the service sends mail from these.",
    "dkim_selectors": "One DKIM selector per line.",
}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _field_name_for(contract_field: str) -> str | None:
    """The form field a CampaignError's path belongs to: 'legacy.mx_hosts[2]' -> 'legacy_mx_hosts'."""
    parts = contract_field.split("[")[0].split(".")
    if len(parts) == 2 and parts[0] in SERVICE_LISTS:
        return f"{parts[0]}_{parts[1]}"
    return parts[0] if len(parts) == 1 else None


# -- customers ---------------------------------------------------------------------------------------


class CustomerForm(forms.ModelForm):
    """Edit a customer's details. `version` is the version the page was built from."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Customer
        fields = ("name", "account_id", "rep", "contact_name", "contact_email", "notice_sent_at", "notes")
        widgets = {
            "notice_sent_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "notes": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, can_reassign: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notes"].max_length = NOTES_MAX_LENGTH
        self.fields["notes"].validators.append(MaxLengthValidator(NOTES_MAX_LENGTH))
        self.fields["notes"].widget.attrs["maxlength"] = str(NOTES_MAX_LENGTH)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
        if can_reassign:
            self.fields["rep"].queryset = (
                get_user_model().objects.filter(groups__name=REPS_GROUP).order_by("username")
            )
        else:
            # Reps keep their customers; account ids come from billing. Ops change both.
            del self.fields["rep"]
            del self.fields["account_id"]
        style_widgets(self)

    def changes(self) -> dict:
        """The edited fields and their new values (for Customer.update)."""
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.fields}


class ChangeStatusForm(forms.Form):
    """Move a customer one step along the workflow, with a note for the audit log."""

    to_status = forms.ChoiceField(label="New status")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(s.value, s.label) for s in customer.allowed_next_statuses()]
        if not self.is_bound:
            self.initial["version"] = customer.version
        style_widgets(self)


class ImportForm(forms.Form):
    MAX_BYTES = 20 * 1024 * 1024

    file = forms.FileField(help_text="CSV (UTF-8) or XLSX, with a header row.")
    dry_run = forms.BooleanField(required=False, label="Dry run: check and count, save nothing")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB; split it.")
        return upload


class DomainAddForm(forms.Form):
    """One or more domain names for customers.services.domain_add."""

    names = forms.CharField(
        label="Add domains",
        max_length=10_000,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "example.com, 例え.jp", "spellcheck": "false"}
        ),
        help_text="One or several, separated by spaces, commas or new lines. Unicode names are stored as A-labels.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


# -- campaigns, tasks, notices -------------------------------------------------------------------------


class CampaignForm(forms.ModelForm):
    """Campaign settings; validated by the probe engine's parser, like `campaign load`."""

    legacy_name = forms.CharField(label="Name", max_length=200)
    successor_name = forms.CharField(label="Name", max_length=200)

    class Meta:
        model = Campaign
        fields = (
            "name",
            "active",
            "internal_announcement_date",
            "customer_announcement_date",
            "end_date",
            "cleanup_date",
        )
        widgets = {
            name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            for name in (
                "internal_announcement_date",
                "customer_announcement_date",
                "end_date",
                "cleanup_date",
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for service, keys in SERVICE_LISTS.items():
            data = getattr(self.instance, service) or {}
            self.fields[f"{service}_name"].initial = data.get("name", "")
            for key in keys:
                name = f"{service}_{key}"
                self.fields[name] = forms.CharField(
                    label=LIST_LABELS[key],
                    required=False,
                    widget=forms.Textarea(
                        attrs={"rows": 3, "spellcheck": "false", "class": "font-monospace"}
                    ),
                    help_text=LIST_HELP[key],
                    initial="\n".join(str(item) for item in data.get(key, [])),
                )

        style_widgets(self)

    def _service_fields(self, service: str) -> list:
        return [self[f"{service}_name"]] + [self[f"{service}_{key}"] for key in SERVICE_LISTS[service]]

    @property
    def legacy_fields(self) -> list:
        return self._service_fields("legacy")

    @property
    def successor_fields(self) -> list:
        return self._service_fields("successor")

    def clean(self):
        cleaned = super().clean()
        services = {
            service: {"name": cleaned.get(f"{service}_name", "")}
            | {key: _lines(cleaned.get(f"{service}_{key}", "")) for key in keys}
            for service, keys in SERVICE_LISTS.items()
        }
        if self.errors:
            return cleaned
        contract = {
            "slug": self.instance.slug,
            "name": cleaned.get("name", ""),
            "legacy": services["legacy"],
            "successor": services["successor"],
            "end_date": cleaned["end_date"].isoformat() if cleaned.get("end_date") else None,
            "cleanup_date": cleaned["cleanup_date"].isoformat() if cleaned.get("cleanup_date") else None,
        }
        try:
            parsed = probe_campaign.Campaign.from_dict(contract)
        except probe_campaign.CampaignError as exc:
            field = _field_name_for(exc.field)
            self.add_error(field if field in self.fields else None, f"{exc.field}: {exc.message}")
            return cleaned
        # Canonical form (lower-case hosts, normalised CIDRs); Campaign.clean() checks it again on save.
        data = parsed.to_dict()
        self.instance.legacy = data["legacy"]
        self.instance.successor = data["successor"]
        return cleaned


class TaskDoneForm(forms.Form):
    note = forms.CharField(
        label="What was done",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class TaskSnoozeForm(forms.Form):
    until = forms.DateField(
        label="Snooze until", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )

    def clean_until(self) -> dt.date:
        until = self.cleaned_data["until"]
        if until <= timezone.localdate():
            raise forms.ValidationError("Pick a day after today.")
        return until


class NoticeForm(forms.Form):
    """The rep's edits to a drafted customer notice (see tracker.services.notices.notice_edit)."""

    recipient = forms.EmailField(
        label="To",
        required=False,
        help_text="The customer's contact address; needed to send by email.",
        widget=forms.EmailInput(attrs={"class": "form-control"}),
    )
    subject = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"class": "form-control"}))
    body = forms.CharField(
        label="Text",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "class": "form-control font-monospace"}),
    )

    def clean_subject(self) -> str:
        # A line break in a mail header would end it (or add one): the mail library refuses to send.
        subject = self.cleaned_data["subject"]
        if "\n" in subject or "\r" in subject:
            raise forms.ValidationError(
                _("The subject must be one line: remove the line breaks."), code="newline"
            )
        return subject


class NoticeTemplateForm(forms.ModelForm):
    """The campaign's notice template (Django template syntax, checked before it is saved)."""

    class Meta:
        model = NoticeTemplate
        fields = ["subject", "body"]
        widgets = {
            "subject": forms.TextInput(attrs={"class": "form-control font-monospace"}),
            "body": forms.Textarea(attrs={"rows": 20, "class": "form-control font-monospace"}),
        }

    def _compiled(self, name: str) -> str:
        source = self.cleaned_data[name]
        try:
            compile_notice_template(source)
        except TemplateSyntaxError as error:
            raise forms.ValidationError(f"Template syntax error: {error}", code="syntax") from error
        return source

    def clean_subject(self) -> str:
        return self._compiled("subject")

    def clean_body(self) -> str:
        return self._compiled("body")
