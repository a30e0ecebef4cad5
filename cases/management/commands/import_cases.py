"""``manage.py import_cases FILE [--dry-run] [--update]``: the case import (schema lvv-case/1)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases import importer
from lvv.access import policy
from lvv.audit.log import COMMAND

EXIT_INVALID = 1  # the contract: 1 for invalid data
EXIT_UNREADABLE = 2


class Command(BaseCommand):
    help = "Importeer casussen uit een JSON Lines-bestand (schema lvv-case/1); '-' leest standaardinvoer."

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON Lines-bestand (UTF-8), of '-' voor standaardinvoer")
        parser.add_argument("--dry-run", action="store_true", help="alleen controleren; er wordt niets opgeslagen")
        parser.add_argument(
            "--update",
            action="store_true",
            help="bestaande geïmporteerde casussen bijwerken met nieuwe gebeurtenissen (achteraan toegevoegd)",
        )

    def handle(self, *args, file, dry_run, update, **options):
        data = self._read(file)
        try:
            summary = importer.run_import(
                data, acting_user=policy.SYSTEM, origin=COMMAND, dry_run=dry_run, update=update
            )
        except importer.ImportInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("Het bestand is ongeldig (%(count)s fout(en)); er is niets opgeslagen.") % {"count": len(exc.errors)},
                returncode=EXIT_INVALID,
            ) from None
        self.stdout.write(format_summary(summary))

    def _read(self, file: str) -> bytes:
        if file == "-":
            stream = sys.stdin
            return stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode("utf-8")
        try:
            with open(file, "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise CommandError(
                _("Kan %(file)s niet lezen: %(reason)s.") % {"file": file, "reason": exc.strerror},
                returncode=EXIT_UNREADABLE,
            ) from None


def format_summary(summary: importer.Summary) -> str:
    lines = [
        _("Regels gelezen: %(count)s") % {"count": summary.lines},
        _("Casussen aangemaakt: %(count)s") % {"count": summary.created},
        _("Casussen bijgewerkt: %(count)s") % {"count": summary.updated},
        _("Casussen overgeslagen (ongewijzigd): %(count)s") % {"count": summary.skipped},
    ]
    for slug, counts in summary.as_dict()["per_lvv"].items():
        lines.append(
            "  "
            + _("%(lvv)s: %(lines)s regels, %(created)s aangemaakt, %(updated)s bijgewerkt, %(skipped)s overgeslagen")
            % {"lvv": slug, **counts}
        )
    if summary.dry_run:
        lines.append(_("Proefimport (dry run): niets opgeslagen."))
    return "\n".join(lines)
