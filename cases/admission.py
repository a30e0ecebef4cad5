"""The admission check in words: the checklist row by row, and the grounds that place a
person outside the target group.

Two kinds of criteria, with opposite meanings of a tick in the form:
- the national exclusion grounds (``AdmissionCheck.EXCLUSIONS``): ticked means the ground
  applies and the person is excluded;
- the local conditions of the LVV (regional ties, shown willingness): ticked means the
  person meets the condition; an LVV that does not require a condition ignores it.

So the checklist never shows a bare tick: each row has its own symbol and word (met, not
met, excluded, does not apply, not required). A ground is named by its code (the field's
name), stored as such on the timeline and translated when shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cases.models import AdmissionCheck

LOCAL_CONDITIONS = (
    ("regional_ties", "requires_regional_ties"),
    ("shown_willingness", "requires_shown_willingness"),
)

# What each failing criterion says, as a ground for "buiten de doelgroep: ...".
GROUND_LABELS = {
    "entry_ban": _("zwaar inreisverbod (10 jaar of meer)"),
    "declared_undesirable": _("ongewenstverklaard"),
    "eu_citizen": _("EU-burger"),
    "dublin_claimant": _("Dublinclaimant"),
    "prior_provision": _("recht op een voorliggende voorziening"),
    "regional_ties": _("geen aantoonbare regiobinding"),
    "shown_willingness": _("geen bereidheid tot meewerken getoond"),
}
# Timeline events written before the codes were stored hold the Dutch texts.
_CODES_BY_DUTCH_TEXT = {
    "zwaar inreisverbod (10 jaar of meer)": "entry_ban",
    "ongewenstverklaard": "declared_undesirable",
    "EU-burger": "eu_citizen",
    "Dublinclaimant": "dublin_claimant",
    "recht op een voorliggende voorziening": "prior_provision",
    "geen aantoonbare regiobinding": "regional_ties",
    "geen bereidheid tot meewerken getoond": "shown_willingness",
}

OUTSIDE_TARGET_GROUP = _("buiten de doelgroep: %(grounds)s")
WITHIN_TARGET_GROUP = _("voldoet aan alle criteria")


@dataclass(frozen=True)
class Outcome:
    """One row's verdict: a symbol (decorative) and a word that says it without the symbol."""

    key: str
    symbol: str
    word: str


MEETS = Outcome("meets", "✓", _("voldoet"))
FAILS = Outcome("fails", "✗", _("voldoet niet"))
EXCLUDED = Outcome("excluded", "✗", _("uitgesloten"))
DOES_NOT_APPLY = Outcome("does-not-apply", "—", _("niet van toepassing"))
NOT_REQUIRED = Outcome("not-required", "—", _("niet vereist"))


@dataclass(frozen=True)
class Row:
    code: str
    label: str
    outcome: Outcome
    local: bool


def unmet_grounds(check: AdmissionCheck, location) -> list[str]:
    """The codes of the grounds that place the person outside ``location``'s target group."""
    grounds = [name for name in AdmissionCheck.EXCLUSIONS if getattr(check, name)]
    for name, rule in LOCAL_CONDITIONS:
        if getattr(location, rule) and not getattr(check, name):
            grounds.append(name)
    return grounds


def ground_label(ground: str) -> str:
    """A ground in the reader's language: a code, or the Dutch text of an older event (an
    unknown text is shown as it was stored)."""
    code = ground if ground in GROUND_LABELS else _CODES_BY_DUTCH_TEXT.get(ground)
    return str(GROUND_LABELS[code]) if code else str(ground)


def verdict(grounds) -> str:
    """``buiten de doelgroep: EU-burger, geen aantoonbare regiobinding``, or that all is met."""
    if not grounds:
        return str(WITHIN_TARGET_GROUP)
    return str(OUTSIDE_TARGET_GROUP % {"grounds": ", ".join(ground_label(g) for g in grounds)})


def checklist(check: AdmissionCheck, location) -> list[Row]:
    """Every criterion of the check with its outcome, the national grounds first."""
    rows = [
        Row(
            code=name,
            label=str(AdmissionCheck._meta.get_field(name).verbose_name),
            outcome=EXCLUDED if getattr(check, name) else DOES_NOT_APPLY,
            local=False,
        )
        for name in AdmissionCheck.EXCLUSIONS
    ]
    for name, rule in LOCAL_CONDITIONS:
        if not getattr(location, rule):
            outcome = NOT_REQUIRED
        else:
            outcome = MEETS if getattr(check, name) else FAILS
        rows.append(
            Row(code=name, label=str(AdmissionCheck._meta.get_field(name).verbose_name), outcome=outcome, local=True)
        )
    return rows
