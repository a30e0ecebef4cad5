from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MrtConfig(AppConfig):
    name = "mrt"
    verbose_name = _("Multidisciplinair reviewteam (MRT)")
