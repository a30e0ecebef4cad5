from django import forms
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


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


def user_reference(verbose_name=None) -> models.ForeignKey:
    """The user who did something (created, wrote, finished it): empty for the system, and
    an account a row names cannot be deleted (deactivate it instead); the user has no
    reverse accessor for it."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )
