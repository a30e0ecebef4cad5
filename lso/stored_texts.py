"""The sentences the LSO stores in Dutch, known to ``lvv.stored_text`` so that an English
reader gets them in English: the neutral summary of a special text, the note of a scenario
set in a meeting, and (``lso.reasons``) the reasons of older agenda items."""

from __future__ import annotations

from lso import confidential, reasons, services  # noqa: F401  (reasons registers its own)
from lvv import stored_text

stored_text.register(confidential.EVENT_SUMMARY)
stored_text.register(services.SCENARIO_NOTE, date=stored_text.date)
