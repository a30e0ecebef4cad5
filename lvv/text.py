"""Limits on free text, the same in the page forms, the API and the services.

Every free-text field has a maximum length: names and other one-line texts 200
characters, short reasons and remarks 1,000, notes, reasons, minutes and positions 5,000.
The forms and serializers say so next to the field; the services check again (with
``check_text``), so that an import, a task or any other caller cannot store more. A NUL
character is refused everywhere: PostgreSQL cannot store it.

The messages are Django's own (Dutch, and English in the English interface).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db.models import Field, Model

NAME_MAX = 200
SHORT_TEXT_MAX = 1000
TEXT_MAX = 5000

_no_nul = ProhibitNullCharactersValidator()


def text_errors(value, limit: int) -> list[str]:
    """The messages for ``value`` as a text of at most ``limit`` characters (none: fine)."""
    if not isinstance(value, str):
        return []
    errors = []
    for validator in (MaxLengthValidator(limit), _no_nul):
        try:
            validator(value)
        except ValidationError as error:
            errors.extend(error.messages)
    return errors


def check_text(**fields: tuple[str | None, int]) -> None:
    """Raise a ``ValidationError`` per field for texts that are too long or hold a NUL:
    ``check_text(notes=(notes, TEXT_MAX), reason=(reason, SHORT_TEXT_MAX))``."""
    errors = {}
    for name, (value, limit) in fields.items():
        messages = text_errors(value, limit)
        if messages:
            errors[name] = messages
    if errors:
        raise ValidationError(errors)


def column_length(model: type[Model], name: str) -> int:
    """The maximum length of a text column of ``model`` (its field's ``max_length``), for
    ``check_text`` and the serializers."""
    field = model._meta.get_field(name)
    length = field.max_length if isinstance(field, Field) else None
    if length is None:
        raise ImproperlyConfigured(f"{model.__name__}.{name} has no maximum length.")
    return length
