"""Free texts of the LSO and the MRT that may hold special-category data.

A DT&V review note, a partner's preparation note and the MRT's reasoning each carry a
mark (``cases.models.Confidentiality``): ``special`` when the text speaks of health,
religion or belief, sexual orientation or criminal matters (GDPR art. 9 and 10). Such a
text is read only by users who may see the special-category data of its case
(``policy.can_view_special_category``), and written or marked only by them.

Reading: every read of these models goes through ``ConfidentialTextQuerySet.for_reader``
(the selectors do this). When the rows are fetched, the text of a special row whose case
the reader may not see is blanked on the instance and ``<field>_withheld`` is set; pages
show ``WITHHELD`` in its place, the API gives null. One permission check per fetch, for
all its cases at once (``policy.SpecialCategoryChecker``): a fixed number of queries, and
none at all when no fetched row is special. A withheld instance refuses to be saved.

Writing: the services call ``check_mark``; the timeline events they write carry
``event_summary`` (never a special text: the timeline, the agenda's reasons and the API's
timeline are read by everyone who sees the case).

Partners' positions (``lso.PartnerPosition`` in the minutes, ``mrt.Position`` before the
MRT) carry no mark: a position is an organisation's stance on the direction, which every
partner must read to resolve the disagreement, and the minutes are the LSO's shared record.
Their forms say so (``POSITION_HELP``); the grounds that are special-category data belong
in a marked preparation note or in the MRT's reasoning.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import F
from django.db.models.query import ModelIterable
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.models import Case, Confidentiality
from lvv.access import policy
from lvv.forms import WIDGET_CLASSES

# Messages shared by the services, pages, API and tests (Dutch msgids).
SPECIAL_LABEL = _("Bijzonder persoonsgegeven (gezondheid, geloof, seksuele geaardheid, strafrecht)")
SPECIAL_HELP = _(
    "Alleen zichtbaar voor wie de bijzondere persoonsgegevens van deze casus mag zien; anderen zien dat er een "
    "tekst is, niet wat er staat."
)
WITHHELD = _("Bijzonder persoonsgegeven: niet zichtbaar voor u")
# The same msgid as the journal's (cases.services.NOTE_SPECIAL_NOT_ALLOWED).
SPECIAL_NOT_ALLOWED = _("U mag bij deze casus geen bijzondere persoonsgegevens vastleggen.")
CONFIDENTIALITY_INVALID = _("Kies normaal of bijzonder persoonsgegeven.")
# Beside the texts that carry no mark (partners' positions): everyone who sees the case reads them.
POSITION_HELP = _(
    "Een standpunt lezen alle partners die de casus zien: noem hier geen bijzondere persoonsgegevens "
    "(gezondheid, geloof, seksuele geaardheid, strafrecht)."
)
# What the timeline says instead of a special text (stored in the site's language).
EVENT_SUMMARY = _("Tekst met bijzondere persoonsgegevens; alleen te lezen met toestemming.")
# The field that carries the case id of a fetched row (an annotation made by ``for_reader``).
CASE_ID = "text_case_id"


def is_special(value: str) -> bool:
    return value == Confidentiality.SPECIAL


def check_mark(acting_user, case: Case, value: str | None, *, field: str = "confidentiality") -> str:
    """The mark, checked: one of ``Confidentiality`` (a field error otherwise), and
    ``special`` only for a user who may see the case's special-category data (403)."""
    value = value or Confidentiality.NORMAL
    if value not in Confidentiality.values:
        raise ValidationError({field: CONFIDENTIALITY_INVALID})
    if is_special(value) and not policy.can_view_special_category(acting_user, case):
        raise PermissionDenied(str(SPECIAL_NOT_ALLOWED))
    return value


def event_summary(text: str, mark: str) -> str:
    """The summary of a timeline event about ``text``: the text itself when it is normal,
    a neutral sentence when it is special."""
    if not is_special(mark):
        return text
    with translation.override(settings.LANGUAGE_CODE):
        return str(EVENT_SUMMARY)


def withhold(reader, rows) -> None:
    """Blank, on the instances, every special text of ``rows`` (instances of a model with
    ``confidential_texts`` and the ``text_case_id`` annotation) that ``reader`` may not see."""
    special_rows = []
    for row in rows:
        marks = type(row).confidential_texts
        fields = [text for text, mark in marks.items() if is_special(getattr(row, mark))]
        if fields:
            special_rows.append((row, fields))
    if not special_rows:
        return
    cases = {getattr(row, CASE_ID): Case(pk=getattr(row, CASE_ID)) for row, _fields in special_rows}
    sees = policy.SpecialCategoryChecker(reader, list(cases.values()))
    for row, fields in special_rows:
        if sees(cases[getattr(row, CASE_ID)]):
            continue
        for text in fields:
            setattr(row, text, "")
            setattr(row, f"{text}_withheld", True)


class ConfidentialTextQuerySet(models.QuerySet):
    """A queryset that, bound to a reader (``for_reader``), withholds the special texts
    that reader may not see from every row it fetches."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reader = None

    def _clone(self):
        clone = super()._clone()
        clone._reader = self._reader
        return clone

    def for_reader(self, user):
        clone = self.annotate(**{CASE_ID: F(self.model.confidential_case)})
        clone._reader = user
        return clone

    def _fetch_all(self):
        fresh = self._result_cache is None
        if fresh and self._reader is not None and not issubclass(self._iterable_class, ModelIterable):
            # values() and values_list() would pass the texts by; the readers use instances.
            raise TypeError("A reader's queryset of confidential texts returns model instances only.")
        super()._fetch_all()
        if fresh and self._reader is not None:
            withhold(self._reader, self._result_cache)

    def iterator(self, chunk_size=None):
        if self._reader is None:
            return super().iterator(chunk_size=chunk_size)
        return iter(self._chain())  # through _fetch_all, so that the texts are withheld


class ConfidentialTexts:
    """Mixin of a model whose free texts carry a mark: ``confidential_texts`` maps each
    text field to its mark field, ``confidential_case`` is the path to the case."""

    confidential_texts: dict[str, str] = {}
    confidential_case: str = "case"

    def save(self, *args, **kwargs):
        if any(getattr(self, f"{text}_withheld", False) for text in self.confidential_texts):
            raise ValueError("A text withheld from its reader is never saved.")
        super().save(*args, **kwargs)


class SpecialMarkMixin:
    """The mark of a free text on a form (the LSO's and the MRT's): a checkbox
    "special-category data", offered (rendered) only to a user who may see the
    special-category data of the case (``special_allowed``). A crafted mark from anyone
    else reaches the service, which refuses it (403). Put it before
    ``lvv.forms.ServiceErrorsMixin``: a service's error about the mark shows at the checkbox."""

    error_fields = {"confidentiality": "special", "reasoning_confidentiality": "special"}

    def __init__(self, *args, special_allowed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.special_allowed = special_allowed
        self.fields["special"] = forms.BooleanField(
            label=SPECIAL_LABEL,
            required=False,
            help_text=SPECIAL_HELP,
            widget=forms.CheckboxInput(attrs={"class": WIDGET_CLASSES[forms.CheckboxInput]}),
        )

    def confidentiality(self) -> str:
        return Confidentiality.SPECIAL if self.cleaned_data.get("special") else Confidentiality.NORMAL

    def get_context(self):
        """``{{ form }}`` leaves the mark out for a user who may not set it."""
        context = super().get_context()
        if not self.special_allowed:
            context["fields"] = [(field, errors) for field, errors in context["fields"] if field.name != "special"]
        return context


# --- In the API ---------------------------------------------------------------------------

WITHHELD_HELP = _(
    "null als de tekst een bijzonder persoonsgegeven is en u de bijzondere persoonsgegevens van deze casus niet "
    "mag zien."
)
CONFIDENTIALITY_HELP = _(
    "`special`: bijzondere persoonsgegevens (gezondheid, geloof, seksuele geaardheid, strafrecht; art. 9 en 10 "
    "AVG), alleen te lezen door wie die gegevens van de casus mag zien; alleen zij mogen een tekst zo markeren."
)


def confidentiality_input(**kwargs) -> serializers.ChoiceField:
    """The mark of a text in an API body (``normal`` unless given)."""
    return serializers.ChoiceField(
        choices=Confidentiality.choices, default=Confidentiality.NORMAL, help_text=CONFIDENTIALITY_HELP, **kwargs
    )


def withheld_text(instance, field: str) -> str | None:
    """The text as its reader may read it: null when withheld."""
    if getattr(instance, f"{field}_withheld", False):
        return None
    return getattr(instance, field)
