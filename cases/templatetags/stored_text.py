"""``{{ text|stored_text }}``: a sentence the system stored in Dutch, in the reader's
language when it is a known one (``lvv.stored_text``); other text as stored."""

from __future__ import annotations

from django import template

from lvv import stored_text as texts

register = template.Library()


@register.filter
def stored_text(value) -> str:
    return texts.translate(value or "")
