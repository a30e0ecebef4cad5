"""Form rendering in the NL Design System style, shared by every app's forms."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core import validators
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

from lvv import errors
from lvv.text import TEXT_MAX

# A hidden field (the version a change is based on) came without a valid value.
VERSION_MISSING = _("Het formulier is onvolledig verstuurd. Laad de pagina opnieuw en probeer het nog eens.")

WIDGET_CLASSES = {
    forms.Select: "utrecht-select utrecht-select--html-select",
    forms.SelectMultiple: "utrecht-select utrecht-select--html-select",
    forms.Textarea: "utrecht-textarea utrecht-textarea--html-textarea",
    forms.CheckboxInput: "utrecht-checkbox utrecht-checkbox--html-input",
    forms.RadioSelect: "",
    forms.CheckboxSelectMultiple: "",
    forms.PasswordInput: "utrecht-textbox utrecht-textbox--html-input",
    forms.DateInput: "utrecht-textbox utrecht-textbox--html-input utrecht-textbox--sm",
    forms.widgets.Input: "utrecht-textbox utrecht-textbox--html-input",
}


def limit_length(field: forms.CharField, limit: int) -> None:
    """Give a text field a maximum length after it was made: the check (Django's message)
    and the ``maxlength`` attribute of its input."""
    field.max_length = limit
    field.validators.append(validators.MaxLengthValidator(limit))
    field.widget.attrs.update(field.widget_attrs(field.widget))


class Renderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class StyledFormMixin:
    """Adds the component classes to widgets and marks invalid fields for assistive tech.

    Every text field without a maximum length gets one (``lvv.text.TEXT_MAX``); fields
    with a smaller limit say so themselves.

    Required fields carry ``aria-required`` instead of the HTML ``required`` attribute: the
    server checks them (with Dutch messages next to the field), and the components style an
    empty ``required`` field as invalid before the user has typed anything."""

    use_required_attribute = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if field.required and not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("aria-required", "true")
            for widget_class, css in WIDGET_CLASSES.items():
                if isinstance(widget, widget_class):
                    if css:
                        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
                    break
            if isinstance(widget, forms.DateInput):
                widget.input_type = "date"
                widget.format = "%Y-%m-%d"
            if isinstance(field, forms.CharField) and field.max_length is None:
                limit_length(field, TEXT_MAX)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} utrecht-textbox--invalid".strip()


def add_service_errors(form: forms.BaseForm, exc: ValidationError, renames: Mapping[str, str] | None = None) -> None:
    """Put a service's validation errors on the fields that have them (``renames``: the
    service's field name -> the form's); errors of hidden or unknown fields go above the
    form. The input is kept."""
    messages = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    for name, texts in messages.items():
        name = (renames or {}).get(name, name)
        visible = name in form.fields and not form.fields[name].widget.is_hidden
        for text in texts:
            form.add_error(name if visible else None, text)
        if visible:
            form.fields[name].widget.attrs["aria-invalid"] = "true"


def add_refusal(form: forms.BaseForm, exc: Exception, answer: errors.Answer, *, current_version=None) -> None:
    """Show a service's refusal on the form (``lvv.errors``): validation errors on their
    fields, anything else above the form. After a stale version the form's hidden version
    becomes ``current_version`` (the one the page now shows), so that a new attempt is
    based on what the user sees."""
    if isinstance(exc, ValidationError):
        if hasattr(form, "add_service_errors"):
            form.add_service_errors(exc)
        else:
            add_service_errors(form, exc)
        return
    form.add_error(None, errors.message_of(exc, answer))
    if isinstance(exc, errors.StaleVersionError) and current_version is not None and "version" in form.fields:
        form.data = form.data.copy()
        form.data[form.add_prefix("version")] = current_version


class ServiceErrorsMixin:
    """``add_service_errors(exc)`` for a form; ``error_fields`` maps a service's field names
    onto the form's where they differ."""

    error_fields: Mapping[str, str] = {}

    def add_service_errors(self, exc: ValidationError) -> None:
        add_service_errors(self, exc, self.error_fields)


class VersionMixin:
    """A hidden, optional ``version``: the version of the object the user's change is based on."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False)
