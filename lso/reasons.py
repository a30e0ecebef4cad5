"""The texts of the reasons a case is on the LSO's agenda, in the reader's language.

A suggestion's reason is a code with a few values (a date, an MRT advice, the partner who
asked and their words). An agenda item stores them as data (``AgendaItem.reason_parts``:
``{"reason", "date" (ISO), "advice", "organisation", "text"}``) and every page, API and
pack renders the sentence in its own language. Items stored before the parts were kept
have only the Dutch sentence (``reason_detail``): a sentence made from one reason is
recognised (``lvv.stored_text``) and rendered anew; anything else, such as the words a
user typed, is shown as written.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cases.models import Direction, Route, TimelineEvent
from lso.models import AgendaItem, Reason
from lvv import stored_text

# The reasons' texts (Dutch source strings).
REST_PERIOD_DETAIL = _("Rusttermijn verlopen op %(date)s; nog geen scenario.")
SCENARIO_REVIEW_DETAIL = _("Herbeoordeling van het scenario uiterlijk op %(date)s.")
COOPERATION_DETAIL = _("Medewerkingstoets van %(date)s: onvoldoende; sindsdien niet in het LSO besproken.")
MRT_ADVICE_DETAIL = _("MRT-advies van %(date)s: %(advice)s.")
NO_DURABLE_SOLUTION = _("geen bestendige oplossing mogelijk")
MAX_STAY_DETAIL = _("De maximale verblijfsduur eindigt op %(date)s.")
REQUESTED_DETAIL = _("Aangevraagd door %(organisation)s op %(date)s: %(reason)s")
DTV_FLAG_DETAIL = _("Gemarkeerd door de DT&V op %(date)s: %(text)s")

_DATED = {
    Reason.REST_PERIOD_ENDED: REST_PERIOD_DETAIL,
    Reason.SCENARIO_REVIEW_DUE: SCENARIO_REVIEW_DETAIL,
    Reason.INSUFFICIENT_COOPERATION: COOPERATION_DETAIL,
    Reason.MAX_STAY_NEAR: MAX_STAY_DETAIL,
}
_ADVICE_KEYS = ("no_durable_solution_possible", "direction", "route")


def advice_words(advice: Mapping[str, Any]) -> str:
    """Either "geen bestendige oplossing mogelijk" or the advised direction and route."""
    if advice.get("no_durable_solution_possible"):
        return str(NO_DURABLE_SOLUTION)
    words = []
    if advice.get("direction") in Direction.values:
        words.append(str(Direction(advice["direction"]).label))
    if advice.get("route") in Route.values:
        words.append(str(Route(advice["route"]).label))
    return ", ".join(words)


def _advice_back(value: str) -> str | None:
    """The advice words of a stored Dutch sentence in the active language."""
    if value == stored_text.dutch(NO_DURABLE_SOLUTION):
        return str(NO_DURABLE_SOLUTION)
    direction_route = stored_text.choice([*Direction.choices, *Route.choices])
    words = [direction_route(word) for word in value.split(", ")] if value else []
    return None if None in words else ", ".join(words)


# Sentences stored before the parts were kept, recognised by their Dutch form.
for _message in _DATED.values():
    stored_text.register(_message, date=stored_text.date)
stored_text.register(MRT_ADVICE_DETAIL, date=stored_text.date, advice=_advice_back)
stored_text.register(REQUESTED_DETAIL, date=stored_text.date, reason=stored_text.translate)
stored_text.register(DTV_FLAG_DETAIL, date=stored_text.date, text=stored_text.translate)


def part(reason: str, *, day: datetime.date, event: TimelineEvent | None = None) -> dict[str, Any]:
    """One reason as data: its code, its date, and what its event says (an advice, the
    partner who asked and why, the DT&V's words)."""
    data: dict[str, Any] = {"reason": reason, "date": day.isoformat()}
    if event is None:
        return data
    event_data = event.data or {}
    if reason == Reason.MRT_ADVICE_RECEIVED:
        data["advice"] = {key: event_data[key] for key in _ADVICE_KEYS if event_data.get(key)}
    elif reason == Reason.REQUESTED_BY_PARTNER:
        data["organisation"] = event_data.get("organisation") or "-"
        data["text"] = event.summary
    else:
        data["text"] = event.summary
    return data


def text(data: Mapping[str, Any]) -> str:
    """One reason's sentence in the active language."""
    reason = data.get("reason")
    try:
        day = date_format(datetime.date.fromisoformat(data.get("date") or ""))
    except ValueError:
        day = ""
    if reason in _DATED:
        return str(_DATED[reason] % {"date": day})
    # The partner's or the DT&V's words are shown as written (a neutral sentence for a special text, translated).
    words = stored_text.translate(data.get("text") or "")
    if reason == Reason.MRT_ADVICE_RECEIVED:
        return str(MRT_ADVICE_DETAIL % {"date": day, "advice": advice_words(data.get("advice") or {})})
    if reason == Reason.REQUESTED_BY_PARTNER:
        return str(REQUESTED_DETAIL % {"organisation": data.get("organisation") or "-", "date": day, "reason": words})
    if reason == Reason.DTV_FLAG:
        return str(DTV_FLAG_DETAIL % {"date": day, "text": words})
    return words


def texts(parts: Iterable[Mapping[str, Any]]) -> str:
    return " ".join(text(data) for data in parts)


def item_text(item: AgendaItem) -> str:
    """The text of an agenda item's reason in the active language: from its parts, or its
    stored sentence (recognised and rendered anew, or as written)."""
    if item.reason_parts:
        return texts(item.reason_parts)
    return stored_text.translate(item.reason_detail)
