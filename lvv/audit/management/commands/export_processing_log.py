"""Write the processing log (Logboek Dataverwerkingen) for a period as JSON Lines."""

from __future__ import annotations

import datetime
import sys

from django.core.management.base import BaseCommand, CommandError

from lvv.audit import chain
from lvv.audit.export import write_jsonl
from lvv.audit.log import COMMAND, AccessAction, record


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Write the processing log from one date to another (inclusive) as JSON Lines."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="first date, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last date, YYYY-MM-DD")
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args, start, end, output, **options):
        first, last = _date(start), _date(end)
        if last < first:
            raise CommandError("--to lies before --from.")
        chain.seal()  # every row of the period has its place in the chain
        if output:
            with open(output, "w", encoding="utf-8") as out:
                count = write_jsonl(first, last, out)
        else:
            count = write_jsonl(first, last, sys.stdout)
        record(
            actor=None,
            action=AccessAction.EXPORT,
            origin=COMMAND,
            object_type="audit.processing_log",
            detail={"from": first.isoformat(), "to": last.isoformat(), "rows": count},
        )
        if output:
            self.stderr.write(f"{count} processing log rows written to {output}.")
