"""Texts the system wrote into the database in Dutch, shown in the reader's language.

Some sentences are made once and stored (a notice, the neutral summary of a special text,
the reason of an agenda item from before its parts were stored): they are Dutch, whatever
the language of the user who caused them. The module that makes such a sentence registers
its message here (the lazy msgid and, per placeholder, how to read the Dutch value back);
``translate(text)`` recognises a stored text by its Dutch form and renders the same message
in the active language. A text it does not recognise (what users typed) is shown as stored.

Dates come back as dates (``1 november 2020`` becomes ``1 November 2020``), choice labels
as their choice (``casusregisseur`` becomes ``case manager``); other values (references,
names, users' words) stay as they were.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.functional import Promise

Converter = Callable[[str], str | None]

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
_DUTCH_DATE = re.compile(r"(\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})")


def dutch(message: Promise | str) -> str:
    """``message`` as it is stored: in the site's language (Dutch)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def date(value: str) -> str | None:
    """A Dutch date (``1 november 2020``) in the active language; None when it is not one."""
    match = _DUTCH_DATE.fullmatch(value.strip())
    if match is None:
        return None
    day, month, year = match.groups()
    try:
        return date_format(datetime.date(int(year), _MONTHS.index(month) + 1, int(day)))
    except ValueError:
        return None


def choice(choices: Iterable[tuple[str, Promise | str]], *, capitalised: bool = False) -> Converter:
    """A label of ``choices`` (a TextChoices' ``choices``) in the active language."""
    pairs = list(choices)

    def convert(value: str) -> str | None:
        for _value, label in pairs:
            stored = dutch(label)
            if value in (stored, stored[:1].upper() + stored[1:]):
                text = str(label)
                return text[:1].upper() + text[1:] if capitalised or value[:1].isupper() else text
        return None

    return convert


def dates_in(value: str) -> str:
    """Every Dutch date inside a longer value, in the active language."""
    return _DUTCH_DATE.sub(lambda m: date(m.group(0)) or m.group(0), value)


@dataclass(frozen=True, eq=False)
class _Message:
    message: Promise
    converters: dict[str, Converter]

    def pattern(self) -> re.Pattern:
        stored = dutch(self.message)
        parts, position, seen = [], 0, set()
        for match in _PLACEHOLDER.finditer(stored):
            parts.append(re.escape(stored[position : match.start()]))
            name = match.group(1)
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
            position = match.end()
        parts.append(re.escape(stored[position:]))
        return re.compile("".join(parts), re.DOTALL)

    def render(self, text: str) -> str | None:
        match = _pattern(self).fullmatch(text)
        if match is None:
            return None
        values = {}
        for name, value in match.groupdict().items():
            converter = self.converters.get(name)
            converted = converter(value) if converter else value
            if converted is None:
                return None  # not this message after all (a value of the wrong kind)
            values[name] = converted
        return str(self.message) % values if values else str(self.message)


_messages: list[_Message] = []


@cache
def _pattern(message: _Message) -> re.Pattern:
    return message.pattern()


def register(message: Promise, **converters: Converter) -> Promise:
    """Know ``message`` (a ``gettext_lazy`` msgid) when it comes back from the database;
    ``converters`` read its placeholders' Dutch values (``date``, ``choice(...)``)."""
    if not any(entry.message is message for entry in _messages):
        _messages.append(_Message(message, converters))
        # The most specific first: of two messages that both match, the one with more fixed words.
        _messages.sort(key=lambda entry: -len(_PLACEHOLDER.sub("", dutch(entry.message))))
    return message


def translate(text: str) -> str:
    """``text`` in the active language when it is a registered message, else as stored."""
    if not text or translation.get_language() == settings.LANGUAGE_CODE:
        return text
    for message in _messages:
        rendered = message.render(text)
        if rendered is not None:
            return rendered
    return text
