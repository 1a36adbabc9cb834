"""Forms for editing customers and moving them along the workflow; the version field carries the lock."""

from django import forms
from django.contrib.auth import get_user_model

from customers.models import Customer
from customers.roles import REPS_GROUP


class BootstrapMixin:
    """Bootstrap classes on every widget, so templates render fields with one include."""

    def style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput | forms.CheckboxInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class CustomerForm(BootstrapMixin, forms.ModelForm):
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
        self.style_widgets()

    def changes(self) -> dict:
        """The edited fields and their new values (for Customer.update)."""
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.fields}


class ChangeStatusForm(BootstrapMixin, forms.Form):
    """Move a customer one step along the workflow, with a note for the audit log."""

    to_status = forms.ChoiceField(label="New status")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(s.value, s.label) for s in customer.allowed_next_statuses()]
        if not self.is_bound:
            self.initial["version"] = customer.version
        self.style_widgets()


class ImportForm(BootstrapMixin, forms.Form):
    MAX_BYTES = 20 * 1024 * 1024

    file = forms.FileField(help_text="CSV (UTF-8) or XLSX, with a header row.")
    dry_run = forms.BooleanField(required=False, label="Dry run: check and count, save nothing")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB; split it.")
        return upload


class DomainAddForm(BootstrapMixin, forms.Form):
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
        self.style_widgets()
