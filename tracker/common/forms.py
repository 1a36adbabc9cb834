"""Bootstrap classes on every form widget, so templates render any field with one include."""

from __future__ import annotations

from django import forms


def style_widgets(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput | forms.CheckboxInput):
            continue
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        classes = widget.attrs.get("class", "").split()
        if css not in classes:
            widget.attrs["class"] = " ".join([css, *classes])


class BootstrapForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)


class BootstrapModelForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self)
