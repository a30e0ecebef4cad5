"""Prove that no row of the processing log was removed or altered (the hash chain)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lvv.audit import chain


class Command(BaseCommand):
    help = "Seal new rows into the processing log's hash chain, then verify the whole chain."

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true", help="verify only; do not seal new rows first")

    def handle(self, *args, no_seal, **options):
        if not no_seal:
            chain.seal()
        result = chain.verify()
        for problem in result.problems:
            self.stderr.write(problem)
        if not result.ok:
            raise CommandError(f"The processing log's chain is broken ({len(result.problems)} problem(s)).")
        self.stdout.write(f"The processing log's chain holds: {result.checked} rows, {result.unsealed} not yet sealed.")
