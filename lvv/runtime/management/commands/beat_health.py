"""``manage.py beat_health``: exit 0 when a Celery beat holds the scheduler lock, else 1.

The health check of the ``beat`` service in docker-compose.yml. It only looks (pg_locks);
it never takes the lock itself.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lvv.runtime.beat import lock_is_held


class Command(BaseCommand):
    help = "Controleer of er een Celery beat draait (die het planningsslot op de database heeft)."
    requires_system_checks = []

    def handle(self, *args, **options):
        if not lock_is_held():
            raise CommandError("No Celery beat holds the scheduler lock.", returncode=1)
        self.stdout.write("beat: ok")
