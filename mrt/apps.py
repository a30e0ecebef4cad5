from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MrtConfig(AppConfig):
    name = "mrt"
    verbose_name = _("Multidisciplinair reviewteam (MRT)")

    def ready(self) -> None:
        # The LSO learns of the MRT only through this registry (and the case's timeline).
        from lso.services import register_escalation_handler
        from lvv.demo import register_seeder
        from mrt import inboxes  # noqa: F401  (registers the MRT advice inbox in cases.inboxes)
        from mrt.demo import seed_mrt
        from mrt.services import escalate_from_lso

        register_escalation_handler(escalate_from_lso)
        register_seeder("mrt", seed_mrt)
