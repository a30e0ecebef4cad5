from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LsoConfig(AppConfig):
    name = "lso"
    verbose_name = _("Lokaal samenwerkingsoverleg (LSO)")

    def ready(self) -> None:
        # They register themselves: the partner inboxes in cases.inboxes, the work queue's part
        # in cases.extensions, the Dutch sentences the app stores in lvv.stored_text, the words
        # for its timeline events.
        from lso import inboxes, stored_texts, timeline, work_queue  # noqa: F401
        from lso.demo import seed_lso
        from lso.demo_inboxes import seed_late_requests
        from lvv.demo import register_seeder

        register_seeder("lso", seed_lso)
        register_seeder("lso requests", seed_late_requests)  # after the agendas: one for the chair
