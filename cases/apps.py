from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Casussen")

    def ready(self) -> None:
        # They register themselves: the partner inboxes, the Dutch sentences the app stores
        # (lvv.stored_text).
        from cases import inboxes, stored_texts  # noqa: F401
        from cases.demo import seed_cases, seed_document_summary, seed_inbox_notices, seed_special_case_types
        from lvv.demo import register_seeder

        register_seeder("cases", seed_cases)
        # After every app's demo: a notice for what waits in each partner inbox.
        register_seeder("inbox notices", seed_inbox_notices, last=True)
        register_seeder("case documents", seed_document_summary)  # after the cases they belong to
        register_seeder("special case types", seed_special_case_types)  # a case_types_set event per LVV
