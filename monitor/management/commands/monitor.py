"""``manage.py monitor --date YYYY-MM-DD --format json|csv|xlsx|pdf [--output FILE]
[--lvv SLUG ...] [--suppress-small]``: the national monitor at a reference date.

Default: JSON of all LVVs at today's date on standard output. ``xlsx`` and ``pdf`` need
``--output``. Runs as the system principal; the export is written to the access log.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from lvv.access import policy
from lvv.audit.log import COMMAND, AccessAction, record
from monitor import exports
from monitor.scope import select_locations
from monitor.services import parse_date


def _messages(error: ValidationError) -> str:
    return " ".join(str(message) for messages in error.message_dict.values() for message in messages)


class Command(BaseCommand):
    help = "De landelijke monitor op een peildatum, als JSON, CSV, XLSX of PDF."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="peildatum JJJJ-MM-DD (standaard: vandaag)")
        parser.add_argument("--format", choices=exports.FORMATS, default="json", help="standaard: json")
        parser.add_argument("--output", help="bestand om naar te schrijven (standaard: standaarduitvoer)")
        parser.add_argument("--lvv", nargs="+", metavar="SLUG", help="alleen deze LVV's (codes)")
        parser.add_argument(
            "--suppress-small",
            action="store_true",
            help="aantallen van 1 tot en met 4 als <5 (voor bestanden die het programma verlaten)",
        )
        parser.add_argument("--trends-start", help="XLSX en PDF: trends vanaf deze datum (standaard: 12 maanden)")

    def handle(self, *args, date, format, output, lvv, suppress_small, trends_start, **options):
        fmt = format
        if fmt in exports.BINARY_FORMATS and not output:
            raise CommandError(_("Het formaat %(format)s heeft --output nodig.") % {"format": fmt})
        try:
            d = parse_date(date, field="date") if date else timezone.localdate()
            start = parse_date(trends_start, field="trends_start") if trends_start else None
            locations = select_locations(policy.SYSTEM, lvv, field="lvv")
        except ValidationError as error:
            raise CommandError(_messages(error)) from None
        report = exports.build_report(
            d, locations, full=fmt in exports.FULL_FORMATS, suppress_small=suppress_small, trends_start=start
        )
        content = exports.render(report, fmt)
        record(
            actor=policy.SYSTEM,
            action=AccessAction.EXPORT,
            origin=COMMAND,
            object_type="monitor.figures",
            object_id=d.isoformat(),
            detail={"format": fmt, "locations": [loc.slug for loc in locations], "suppress_small": suppress_small},
        )
        if output:
            try:
                with open(output, "wb") as handle:
                    handle.write(content)
            except OSError as exc:
                raise CommandError(
                    _("Kan %(file)s niet schrijven: %(reason)s.") % {"file": output, "reason": exc.strerror}
                ) from None
            self.stderr.write(_("Geschreven: %(file)s") % {"file": output})
        else:
            self.stdout.write(content.decode("utf-8"), ending="")
