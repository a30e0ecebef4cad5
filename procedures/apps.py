from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("Procedures en vertrek")

    def ready(self) -> None:
        # The cases app learns of procedures only through its registries (ADR 0009): the
        # case page's section and step hints, the import's lvv-case/2 events, the IND's inbox.
        from lvv.demo import register_seeder
        from procedures import importing, inboxes, page  # noqa: F401  (they register themselves)
        from procedures.demo import seed_procedures

        register_seeder("procedures", seed_procedures)
