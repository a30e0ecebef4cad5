"""``{{ item|agenda_reason }}``: the text of an agenda item's reason in the reader's language."""

from __future__ import annotations

from django import template

from lso import reasons

register = template.Library()


@register.filter
def agenda_reason(item) -> str:
    return reasons.item_text(item)
