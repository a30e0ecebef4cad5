from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LsoConfig(AppConfig):
    name = "lso"
    verbose_name = _("Lokaal samenwerkingsoverleg (LSO)")
