"""Forms of the monitor's pages: the dashboard's choices, snapshots and export requests.

Every form takes the user's LVVs (``monitor.scope.locations_for``) so that a choice
outside them is a field error, never a wider scope.
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from lvv.params import not_before_earliest
from monitor.exports import default_trends_start
from monitor.models import ExportFormat
from monitor.services import DATE_IN_FUTURE

TRENDS_END_BEFORE_START = _("Het einde van de trends ligt vóór het begin.")
TRENDS_TOO_LONG = _("Kies voor de trends hoogstens %(months)s maanden.")
SAME_SNAPSHOT = _("Kies twee verschillende momentopnamen.")
UNKNOWN_SNAPSHOT = _("Kies een momentopname uit de lijst.")
ALL_LOCATIONS = _("Alle LVV's")
MAX_TREND_MONTHS = 60


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "utrecht-textbox", **(attrs or {})}, format="%Y-%m-%d")


def snapshot_label(snapshot) -> str:
    """``1 november 2020 · amsterdam, rotterdam · gepubliceerd`` (for choices and headings)."""
    state = _("gepubliceerd") if snapshot.is_published else _("concept")
    return f"{date_format(snapshot.reference_date)} · {', '.join(snapshot.scope)} · {state} (#{snapshot.pk})"


def _months_between(start: datetime.date, end: datetime.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


class ScopeFieldMixin:
    """An optional ``lvv`` choice among the user's LVVs (only shown when there are two or more)."""

    def _add_scope_field(self, locations) -> None:
        self.locations = list(locations)
        if len(self.locations) > 1:
            self.fields["lvv"] = forms.ChoiceField(
                label=_("LVV"),
                required=False,
                choices=[("", ALL_LOCATIONS), *[(loc.slug, loc.name) for loc in self.locations]],
                widget=forms.Select(attrs={"class": "utrecht-select utrecht-select--html-select"}),
            )

    def selected_locations(self) -> list:
        slug = self.cleaned_data.get("lvv") if hasattr(self, "cleaned_data") else ""
        if slug:
            return [loc for loc in self.locations if loc.slug == slug]
        return self.locations


def _optional_date(label, help_text) -> forms.DateField:
    """A date the form's default stands for when it is left empty; not before the earliest
    date the monitor counts from."""
    return forms.DateField(
        label=label, required=False, widget=DateInput(), validators=[not_before_earliest], help_text=help_text
    )


class DashboardForm(ScopeFieldMixin, forms.Form):
    """The GET form above the dashboard: reference date, LVV and the months of the trends."""

    date = _optional_date(_("Peildatum"), _("Standaard vandaag."))
    trends_start = _optional_date(_("Trends vanaf"), _("Standaard de twaalf maanden tot en met de peildatum."))
    trends_end = _optional_date(
        _("Trends tot en met"), _("Standaard de peildatum; de export loopt altijd tot de peildatum.")
    )

    def __init__(self, *args, locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._add_scope_field(locations)

    def clean_date(self):
        d = self.cleaned_data.get("date") or timezone.localdate()
        if d > timezone.localdate():
            raise forms.ValidationError(DATE_IN_FUTURE)
        return d

    def clean_trends_end(self):
        end = self.cleaned_data.get("trends_end")
        if end and end > timezone.localdate():
            raise forms.ValidationError(DATE_IN_FUTURE)
        return end

    def clean(self):
        cleaned = super().clean()
        d = cleaned.get("date")
        if d is None:
            return cleaned
        end = cleaned.get("trends_end") or d
        start = cleaned.get("trends_start") or default_trends_start(end)
        if "trends_end" in cleaned and "trends_start" in cleaned:
            if start > end:
                self.add_error("trends_end", TRENDS_END_BEFORE_START)
            elif _months_between(start, end) > MAX_TREND_MONTHS:
                self.add_error("trends_start", TRENDS_TOO_LONG % {"months": MAX_TREND_MONTHS})
        cleaned["trends_start"], cleaned["trends_end"] = start, end
        return cleaned


class SnapshotForm(ScopeFieldMixin, forms.Form):
    """Take a snapshot (POST): the reference date, the LVV(s), a note; publish at once (bureau)."""

    reference_date = forms.DateField(label=_("Peildatum"), widget=DateInput(), validators=[not_before_earliest])
    note = forms.CharField(
        label=_("Toelichting"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "utrecht-textbox"}),
    )

    def __init__(self, *args, locations=(), may_publish=False, **kwargs):
        kwargs.setdefault("initial", {"reference_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self._add_scope_field(locations)
        if may_publish:
            self.fields["publish"] = forms.BooleanField(
                label=_("Direct publiceren (een gepubliceerde momentopname verandert nooit)"),
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "utrecht-checkbox utrecht-checkbox--html-input"}),
            )

    def clean_reference_date(self):
        d = self.cleaned_data["reference_date"]
        if d > timezone.localdate():
            raise forms.ValidationError(DATE_IN_FUTURE)
        return d


class CompareForm(forms.Form):
    """Two snapshots side by side (GET)."""

    old = forms.ChoiceField(label=_("Eerdere momentopname"))
    new = forms.ChoiceField(label=_("Latere momentopname"))

    def __init__(self, *args, snapshots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.snapshots = {str(s.pk): s for s in snapshots}
        choices = [("", "—")] + [(str(s.pk), snapshot_label(s)) for s in snapshots]
        for name in ("old", "new"):
            self.fields[name].choices = choices
            self.fields[name].error_messages["invalid_choice"] = UNKNOWN_SNAPSHOT
            self.fields[name].widget.attrs["class"] = "utrecht-select utrecht-select--html-select"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("old") and cleaned.get("old") == cleaned.get("new"):
            self.add_error("new", SAME_SNAPSHOT)
        return cleaned


class ExportForm(ScopeFieldMixin, forms.Form):
    """Request an export (POST): the format from the button pressed, the date and LVV of the
    dashboard, and whether small numbers are suppressed."""

    format = forms.ChoiceField(choices=[(f, f) for f in ("csv", "xlsx", "pdf")])
    date = forms.DateField(widget=forms.HiddenInput(), validators=[not_before_earliest])
    trends_start = forms.DateField(required=False, widget=forms.HiddenInput(), validators=[not_before_earliest])
    suppress_small = forms.BooleanField(
        label=_("Kleine aantallen afschermen (minder dan 5 wordt “<5”)"),
        required=False,
        help_text=_("Voor bestanden die buiten het programma worden gedeeld."),
        widget=forms.CheckboxInput(attrs={"class": "utrecht-checkbox utrecht-checkbox--html-input"}),
    )

    FORMAT_LABELS = {"csv": "CSV", "xlsx": ExportFormat.XLSX.label, "pdf": ExportFormat.PDF.label}

    def __init__(self, *args, locations=(), **kwargs):
        # On the dashboard beside the form of the date and LVV, whose fields share names:
        # ids of its own (the names, which the request carries, stay the same).
        kwargs.setdefault("auto_id", "id_export_%s")
        super().__init__(*args, **kwargs)
        self._add_scope_field(locations)
        if "lvv" in self.fields:
            self.fields["lvv"].widget = forms.HiddenInput()

    def clean_date(self):
        d = self.cleaned_data["date"]
        if d > timezone.localdate():
            raise forms.ValidationError(DATE_IN_FUTURE)
        return d
