"""Apply retention to every closed case past its period (or, with --dry-run, list them)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from privacy.retention import apply_retention


class Command(BaseCommand):
    help = "Remove the identifying data of closed cases whose retention period has passed."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the date to apply retention at, YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would go, per LVV and outcome; change nothing"
        )

    def handle(self, *args, today, dry_run, **options):
        try:
            day = datetime.date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError(f"Not a date (YYYY-MM-DD): {today!r}") from None
        report = apply_retention(today=day, dry_run=dry_run)
        verb = "would be retained" if dry_run else "retained"
        for (lvv, outcome), count in sorted(report.counts.items()):
            self.stdout.write(f"{lvv}\t{outcome}\t{count}")
        self.stdout.write(
            f"{report.total} case(s) {verb} at {report.today.isoformat()}"
            + ("." if dry_run else f"; {report.persons} person(s) pseudonymised.")
        )
