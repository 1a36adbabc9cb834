"""Forms of the pages: customers (edit, status, domains, import), campaign settings, task actions, notices."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator
from django.template import TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.choices import Language
from customers.models import NOTES_MAX_LENGTH, Customer, UserProfile
from customers.roles import REPS_GROUP
from tracker.choices import ActivityKind, AlertChannelKind, AlertEvent, TokenAccess
from tracker.common.forms import BootstrapModelForm, style_widgets
from tracker.models import AlertChannel, Campaign, NoticeTemplate
from tracker.models.campaign import legacy_definition_error
from tracker.probe import campaign as probe_campaign
from tracker.queries.legacy_change import LegacyChangeImpact, legacy_change_impact
from tracker.services.alerts import channel_target_problem
from tracker.services.campaigns import impact_message
from tracker.services.notices import compile_notice_template
from tracker.services.tasks import SnoozePreset, snooze_until

# The contract's per-service lists, edited one entry per line (client_hosts: one `service: host` per line).
SERVICE_LISTS = {
    "legacy": (
        "mx_hosts",
        "spf_includes",
        "ip_ranges",
        "outbound_ips",
        "hosts",
        "mail_domains",
        "dkim_selectors",
        "tlsa",
    ),
    "successor": (
        "mx_hosts",
        "spf_includes",
        "ip_ranges",
        "outbound_ips",
        "dkim_selectors",
        "hosts",
        "tlsa",
        "client_hosts",
        "dmarc_rua",
        "tlsrpt_rua",
    ),
}
# Lists the contract lets a file leave out (an absent one turns its checks off). An empty box
# keeps what is stored: absent stays absent, an empty list stays an empty list.
OPTIONAL_LISTS = {
    "legacy": ("hosts", "mail_domains", "dkim_selectors", "tlsa"),
    "successor": ("hosts", "tlsa", "client_hosts", "dmarc_rua", "tlsrpt_rua"),
}
LIST_LABELS = {
    "mx_hosts": "MX hosts",
    "spf_includes": "SPF includes",
    "ip_ranges": "IP ranges",
    "outbound_ips": "Outbound IPs",
    "dkim_selectors": "DKIM selectors",
    "hosts": _("Other hosts"),
    "mail_domains": _("Mail domains"),
    "tlsa": _("TLSA (DANE)"),
    "client_hosts": _("Mail client hosts"),
    "dmarc_rua": _("DMARC report addresses"),
    "tlsrpt_rua": _("TLS-RPT report addresses"),
}
LIST_HELP = {
    "mx_hosts": "One host per line; *.suffix matches any host under suffix.",
    "spf_includes": "One SPF domain per line (include:/redirect= targets).",
    "ip_ranges": "One CIDR block per line (IPv4 or IPv6).",
    "outbound_ips": "One IP address per line: the service sends mail from these.",
    "dkim_selectors": "One DKIM selector per line.",
    "hosts": _(
        "The service's other servers (POP, IMAP, submission, webmail, MTA-STS policy), one pattern per "
        "line. Empty: the MTA-STS, client name and SRV checks are off; to check with the MX patterns "
        "only, list them here too."
    ),
    "mail_domains": _("Domains whose mailboxes live on the service (DMARC and TLS-RPT report addresses)."),
    "tlsa": _(
        "One per line: the certificate or key hash the MX present, or a whole record "
        "'usage selector type hex' (the successor's must be whole records)."
    ),
    "client_hosts": _(
        "One 'service: host' per line, services imap, pop3, submission, webmail, autodiscover, autoconfig."
    ),
    "dmarc_rua": _("One mailto: address per line that takes DMARC aggregate reports."),
    "tlsrpt_rua": _("One mailto: or https: address per line that takes TLS-RPT reports."),
}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _field_name_for(contract_field: str) -> str | None:
    """The form field a CampaignError's path belongs to: 'legacy.mx_hosts[2]' -> 'legacy_mx_hosts'."""
    parts = contract_field.split("[")[0].split(".")
    if len(parts) >= 2 and parts[0] in SERVICE_LISTS:
        return f"{parts[0]}_{parts[1]}"
    return parts[0] if len(parts) == 1 else None


def _client_hosts_text(value: dict) -> str:
    return "\n".join(f"{service}: {host}" for service, host in value.items())


def _client_hosts_lines(text: str) -> dict:
    """`service: host` lines as the contract's object; CampaignError names a line without a colon."""
    hosts = {}
    for line in _lines(text):
        service, colon, host = line.partition(":")
        if not colon:
            raise probe_campaign.CampaignError("successor.client_hosts", f"{line!r} is not 'service: host'")
        hosts[service.strip().lower()] = host.strip()
    return hosts


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

    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8, Shift_JIS or UTF-16 text from Excel) or XLSX, with a header row."),
    )
    create_reps = forms.BooleanField(
        required=False,
        label=_("Create the sales reps the file names but who do not exist yet (each is invited by mail)"),
    )
    dry_run = forms.BooleanField(required=False, label=_("Dry run: check and count, save nothing"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB; split it."))
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
    confirm_legacy_change = forms.BooleanField(
        label=_("Confirm the change"),
        required=False,
        help_text=_("Needed when the change would turn many legacy domains clean (see the warning)."),
    )

    class Meta:
        model = Campaign
        fields = (
            "name",
            "active",
            "internal_announcement_date",
            "customer_announcement_date",
            "end_date",
            "cleanup_date",
            "expected_change_days",
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
                value = data.get(key) or ({} if key == "client_hosts" else [])
                self.fields[name] = forms.CharField(
                    label=LIST_LABELS[key],
                    required=False,
                    widget=forms.Textarea(
                        attrs={"rows": 3, "spellcheck": "false", "class": "font-monospace"}
                    ),
                    help_text=LIST_HELP[key],
                    initial=(
                        _client_hosts_text(value)
                        if key == "client_hosts"
                        else "\n".join(str(item) for item in value)
                    ),
                )

        style_widgets(self)

    impact: LegacyChangeImpact = LegacyChangeImpact()
    needs_confirmation = False

    def _service_fields(self, service: str) -> list:
        return [self[f"{service}_name"]] + [self[f"{service}_{key}"] for key in SERVICE_LISTS[service]]

    @property
    def legacy_fields(self) -> list:
        return self._service_fields("legacy")

    @property
    def successor_fields(self) -> list:
        return self._service_fields("successor")

    def _service_data(self, service: str, cleaned: dict) -> dict:
        """One service object from the boxes; an empty optional box keeps the stored presence."""
        stored = getattr(self.instance, service) or {}
        data = {"name": cleaned.get(f"{service}_name", "")}
        for key in SERVICE_LISTS[service]:
            text = cleaned.get(f"{service}_{key}", "")
            if key in OPTIONAL_LISTS[service] and not _lines(text) and key not in stored:
                continue
            data[key] = _client_hosts_lines(text) if key == "client_hosts" else _lines(text)
        return data

    def contract(self) -> dict:
        """The campaign JSON the form describes (not validated)."""
        cleaned = self.cleaned_data
        return {
            "slug": self.instance.slug,
            "name": cleaned.get("name", ""),
            "legacy": self._service_data("legacy", cleaned),
            "successor": self._service_data("successor", cleaned),
            "end_date": cleaned["end_date"].isoformat() if cleaned.get("end_date") else None,
            "cleanup_date": cleaned["cleanup_date"].isoformat() if cleaned.get("cleanup_date") else None,
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            parsed = probe_campaign.Campaign.from_dict(self.contract())
        except probe_campaign.CampaignError as exc:
            field = _field_name_for(exc.field)
            self.add_error(field if field in self.fields else None, f"{exc.field}: {exc.message}")
            return cleaned
        error = legacy_definition_error(parsed)
        if error is not None:
            self.add_error("legacy_mx_hosts", f"{error.field}: {error.message}")
            return cleaned
        self.impact = legacy_change_impact(self.instance, parsed)
        if self.impact.needs_confirmation and not cleaned.get("confirm_legacy_change"):
            self.needs_confirmation = True
            hint = _("If that is what you mean, tick “Confirm the change” and save again.")
            self.add_error(None, f"{impact_message(self.impact)} {hint}")
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
    """Snooze by preset (tomorrow, next week) or until a date; presets count business days."""

    preset = forms.ChoiceField(
        label=_("Snooze"), choices=SnoozePreset.CHOICES, required=False, initial=SnoozePreset.DATE
    )
    until = forms.DateField(
        label=_("Snooze until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("preset") or SnoozePreset.DATE
        if preset == SnoozePreset.DATE and not cleaned.get("until"):
            if "until" not in self.errors:
                self.add_error("until", _("Pick the day to snooze until."))
            return cleaned
        today = timezone.localdate()
        until = snooze_until(preset, today, cleaned.get("until"))
        if until <= today:
            self.add_error("until", _("Pick a day after today."))
        cleaned["until"] = until
        return cleaned


class TaskReopenForm(forms.Form):
    note = forms.CharField(label=_("Why"), required=False, max_length=2000)


class TaskCreateForm(forms.Form):
    """A task a rep writes for their customer: call back, send the contract."""

    title = forms.CharField(label=_("Task"), max_length=200)
    due_date = forms.DateField(
        label=_("Due"),
        required=False,
        help_text=_("A weekend or holiday moves to the next business day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    details = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class TaskBulkForm(forms.Form):
    """One action on the tasks ticked in the list."""

    action = forms.ChoiceField(
        label=_("With the selected tasks"),
        choices=(("done", _("Mark done")), ("snooze", _("Snooze")), ("reassign", _("Reassign"))),
    )
    task = forms.TypedMultipleChoiceField(coerce=int, choices=(), label=_("Tasks"))
    preset = TaskSnoozeForm.base_fields["preset"]
    until = TaskSnoozeForm.base_fields["until"]
    assignee = forms.ModelChoiceField(queryset=None, required=False, label=_("Reassign to"))

    def __init__(self, *args, can_reassign: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        ids = [value for value in (self.data.getlist("task") if hasattr(self.data, "getlist") else [])]
        self.fields["task"].choices = [(value, value) for value in ids]
        self.fields["assignee"].queryset = (
            get_user_model().objects.filter(groups__name=REPS_GROUP, is_active=True).order_by("username")
        )
        self.can_reassign = can_reassign

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == "reassign":
            if not self.can_reassign:
                raise forms.ValidationError(_("Only operations reassign tasks."), code="forbidden")
            if cleaned.get("assignee") is None:
                self.add_error("assignee", _("Pick who gets the tasks."))
        if action == "snooze":
            snooze = TaskSnoozeForm({"preset": self.data.get("preset"), "until": self.data.get("until")})
            if not snooze.is_valid():
                for errors in snooze.errors.values():
                    for error in errors:
                        self.add_error("until", error)
            else:
                cleaned["until"] = snooze.cleaned_data["until"]
        return cleaned


class SavedTaskViewForm(forms.Form):
    name = forms.CharField(label=_("Save this view as"), max_length=80)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)


class ActivityForm(forms.Form):
    """A call, mail or meeting the rep logs on the customer's page."""

    kind = forms.ChoiceField(label=_("What"), choices=ActivityKind.choices)
    note = forms.CharField(label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    next_step_date = forms.DateField(
        label=_("Next step on"),
        required=False,
        help_text=_("Appears in your task list on that day (the next business day if it is a holiday)."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


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


# -- the person's own profile ------------------------------------------------------------------------


def _time_zone_choices() -> list[tuple[str, str]]:
    """The zones people here pick first, then every zone the system knows."""
    first = ["Asia/Tokyo", "UTC"]
    rest = sorted(zone for zone in zoneinfo.available_timezones() if zone not in first and "/" in zone)
    return [(zone, zone) for zone in first + rest]


class ProfileForm(BootstrapModelForm):
    """A person's language and time zone (customers.models.UserProfile)."""

    class Meta:
        model = UserProfile
        fields = ["language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Browser's language")), *Language.choices]
        self.fields["language"].help_text = _("Pages, task digests and dates use this language.")
        self.fields["time_zone"] = forms.ChoiceField(
            label=_("Time zone"),
            choices=[
                ("", _("Deployment default (%(zone)s)") % {"zone": settings.TIME_ZONE}),
                *_time_zone_choices(),
            ],
            required=False,
            help_text=_("Times on pages and the hour your digest arrives (08:30 in this zone)."),
        )
        style_widgets(self)
class ApiTokenForm(forms.Form):
    """A new API token: what it is for, what it may do, and until when."""

    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. 'CRM sync'.")
    )
    access = forms.ChoiceField(label=_("Access"), choices=TokenAccess.choices, initial=TokenAccess.READ)
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        help_text=_("Optional; the token stops working at the start of this day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day in the future."))
        return day

    @property
    def expires_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("expires_on")
        return None if day is None else timezone.make_aware(dt.datetime.combine(day, dt.time()))


class AlertChannelForm(forms.ModelForm):
    """An alert channel as operations set it up on /alerts/."""

    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=AlertEvent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("None ticked: every event."),
    )

    class Meta:
        model = AlertChannel
        fields = ["name", "kind", "target", "secret", "events", "active"]
        # The secret is never sent back to the browser; left blank on an edit, it stays as it was.
        widgets = {"secret": forms.PasswordInput(render_value=False)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("secret") and self.instance.pk:
            cleaned["secret"] = self.instance.secret
        if cleaned.get("kind") == AlertChannelKind.WEBHOOK and not cleaned.get("secret"):
            self.add_error("secret", _("A webhook needs a signing secret."))
        if cleaned.get("kind") and cleaned.get("target"):
            problem = channel_target_problem(cleaned["kind"], cleaned["target"])
            if problem:
                self.add_error("target", problem)
        return cleaned
