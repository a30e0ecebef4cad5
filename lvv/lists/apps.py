from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListsConfig(AppConfig):
    """The list pages' shared parts: sorting, exports, the print view and saved filters."""

    name = "lvv.lists"
    label = "lists"
    verbose_name = _("Lijsten")
