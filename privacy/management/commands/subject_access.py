"""Write everything stored about one person to a JSON file (AVG art. 15), with the person's
documents in a ZIP beside it."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lvv.audit.log import COMMAND, AccessAction, record
from privacy import subject_access


class Command(BaseCommand):
    help = "Write everything stored about one person (subject access) to a JSON file."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--person", type=int, help="the person's record number")
        who.add_argument("--v-number", dest="v_number", help="the person's V-number (10 digits)")
        parser.add_argument(
            "--output", required=True, help="the JSON file to write; documents go in FILE.zip beside it"
        )

    def handle(self, *args, person, v_number, output, **options):
        found = subject_access.find_person(person_id=person, v_number=v_number)
        if found is None:
            raise CommandError("No person with that record number or V-number.")
        data = subject_access.build(found)
        target = Path(output)
        target.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        archive = subject_access.documents_zip(found)
        zip_path = target.with_suffix(".zip")
        if archive is not None:
            zip_path.write_bytes(archive)
        record(
            actor=None,
            action=AccessAction.EXPORT,
            origin=COMMAND,
            obj=found,
            detail={"subject_access": True, "cases": [case["id"] for case in data["cases"]]},
        )
        self.stdout.write(
            f"Written {target}: {len(data['cases'])} case(s), {len(data['documents'])} document(s)"
            + (f", files in {zip_path}." if archive is not None else ".")
        )
