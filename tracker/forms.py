"""Forms of the tracker pages: campaign settings, the follow-up task actions, customer notices."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.template import TemplateSyntaxError
from django.utils import timezone

from tracker.models import Campaign, NoticeTemplate
from tracker.notices import compile_notice_template
from tracker.probe import campaign as probe_campaign

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


def bootstrap(form: forms.Form) -> None:
    """Give every widget Bootstrap's class (templates then render fields with one include)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _field_name_for(contract_field: str) -> str | None:
    """The form field a CampaignError's path belongs to: 'legacy.mx_hosts[2]' -> 'legacy_mx_hosts'."""
    parts = contract_field.split("[")[0].split(".")
    if len(parts) == 2 and parts[0] in SERVICE_LISTS:
        return f"{parts[0]}_{parts[1]}"
    return parts[0] if len(parts) == 1 else None


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

        bootstrap(self)

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
    """The rep's edits to a drafted customer notice (see tracker.notices.notice_edit)."""

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
