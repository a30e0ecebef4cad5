from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

if TYPE_CHECKING:
    from lvv.accounts.models import User


class ChoiceArrayField(ArrayField):
    """An ArrayField of choices, edited as a list of check boxes."""

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": self.base_field.choices,
            "coerce": self.base_field.to_python,
            "widget": forms.CheckboxSelectMultiple,
        }
        defaults.update(kwargs)
        # Skip ArrayField.formfield, which would force SimpleArrayField.
        return super(ArrayField, self).formfield(**defaults)


def user_reference(
    verbose_name: Any = None, *, blank: bool = True, related_name: str = "+"
) -> models.ForeignKey[User | None, User | None]:
    """The user who did something to a record (created, wrote, finished it, or holds a role on
    it): optional (an import, a command or the system acts without one), kept as long as a
    record names the user (PROTECT: deactivate the account instead), without a reverse
    accessor unless ``related_name`` gives one."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=blank,
        related_name=related_name,
        verbose_name=verbose_name,
    )
