from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RuntimeConfig(AppConfig):
    """What a running installation needs beyond the apps: start-up checks, one Celery beat."""

    name = "lvv.runtime"
    label = "runtime"
    verbose_name = _("Bedrijfsvoering")

    def ready(self) -> None:
        from lvv.runtime import beat, checks  # noqa: F401  (registers the check, connects beat_init)
