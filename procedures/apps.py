from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("Procedures en vertrek")

    def ready(self) -> None:
        # The cases app learns of procedures only through its registries (ADR 0009): the
        # case page's section and step hint (procedures.page), the import's lvv-case/2
        # events (procedures.importing), the IND's inbox (procedures.inboxes).
        from procedures import page  # noqa: F401  (registers itself)
