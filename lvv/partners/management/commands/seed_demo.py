from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lvv import demo


class Command(BaseCommand):
    help = "Seed the demo LVVs, organisations, accounts and fictional cases (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=40, help="Cases per LVV (default 40).")
        parser.add_argument("--password", default="demo", help="Password of every demo account (default: demo).")
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, cases, password, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo data is for local use: DEBUG is off. Pass --force if you really mean it.")
        if cases < 0:
            raise CommandError("--cases must be 0 or more.")
        summary = demo.seed(password=password, cases_per_location=cases)
        for key, value in summary.items():
            self.stdout.write(f"{key}: {value}")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Accounts: <role>.<lvv>, bureau, admin."))
