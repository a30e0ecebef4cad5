from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RuntimeConfig(AppConfig):
    """What a running installation needs beyond the apps: start-up checks."""

    name = "lvv.runtime"
    label = "runtime"
    verbose_name = _("Bedrijfsvoering")

    def ready(self) -> None:
        from lvv.runtime import checks  # noqa: F401  (registers the check)
