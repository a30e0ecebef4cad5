"""A user's saved filters of a list page: a name and the query string to apply."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

NAME_MAX = 80
QUERY_MAX = 1000
LIST_NAME_MAX = 60


class SavedFilter(models.Model):
    """Filters (and the sort) of one list, saved under a name by one user for that user
    alone. Only the query string is kept: applying it runs the list's own filters and the
    access policy again, so a saved filter never shows more than the list would."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_filters",
        verbose_name=_("gebruiker"),
    )
    list_name = models.CharField(_("lijst"), max_length=LIST_NAME_MAX)
    name = models.CharField(_("naam"), max_length=NAME_MAX)
    querystring = models.CharField(_("filters"), max_length=QUERY_MAX, blank=True)
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd"), auto_now=True)

    class Meta:
        verbose_name = _("bewaard filter")
        verbose_name_plural = _("bewaarde filters")
        ordering = ["list_name", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "list_name", "name"], name="savedfilter_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.list_name}: {self.name}"
