"""Subject access (AVG art. 15): everything stored about one person, across all LVVs.

``build`` gathers it; the command, the privacy officer's page and the API write it as JSON
(and a readable PDF, and the documents' files in a ZIP). What belongs to a person is found
from the models themselves: every record of the case apps that leads to one of the
person's cases through its foreign keys (the notes, the trajectory's records, LSO items and
their outcomes, MRT escalations and their advice, procedures, ...), so a new kind of record
is included without changing this module. The person's own file holds everything, special
categories included: it is the person's own data.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections import deque
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cases.models import Case, Document, Person
from lvv.audit.models import AccessLogEntry

SCHEMA = "lvv-subject-access/1"
CASE_APPS = ("cases", "lso", "mrt", "procedures")
# Records that are not about the person: access grants and notices to staff.
EXCLUDED = {
    "cases.caseuserobjectpermission",
    "cases.casegroupobjectpermission",
    "cases.notification",
    "cases.person",
    "cases.case",
}
MAX_DEPTH = 3


@dataclass(frozen=True)
class Source:
    model: type[models.Model]
    path: str  # the lookup from the model to Case, e.g. "escalation__case"

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


def sources() -> list[Source]:
    """Every model of the case apps with a foreign-key path to Case (shortest first)."""
    found: dict[str, Source] = {}
    for model in apps.get_models():
        if model._meta.app_label not in CASE_APPS or model._meta.label_lower in EXCLUDED:
            continue
        path = _path_to_case(model)
        if path:
            found[model._meta.label_lower] = Source(model, path)
    return sorted(found.values(), key=lambda source: source.label)


def _path_to_case(model) -> str | None:
    queue = deque([(model, [])])
    while queue:
        current, path = queue.popleft()
        if len(path) >= MAX_DEPTH:
            continue
        for field in current._meta.get_fields():
            if not (field.many_to_one or field.one_to_one) or not field.concrete or field.related_model is None:
                continue
            if field.related_model is Case:
                return "__".join([*path, field.name])
            if field.related_model._meta.app_label in CASE_APPS and field.related_model is not current:
                queue.append((field.related_model, [*path, field.name]))
    return None


def _value(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple)):
        return [_value(item) for item in value]
    if hasattr(value, "name") and hasattr(value, "storage"):  # a file: its place, not its bytes
        return value.name or None
    if hasattr(value, "code") and hasattr(value, "name"):  # a country
        return value.code or None
    return value


def _record(obj: models.Model) -> dict:
    data = {"id": obj.pk}
    for field in obj._meta.concrete_fields:
        if field.primary_key:
            continue
        name = field.attname if field.is_relation else field.name
        data[field.name] = _value(getattr(obj, name))
    return data


def labels(model) -> dict:
    return {field.name: str(field.verbose_name) for field in model._meta.concrete_fields}


def _documents(case_ids: list[int]) -> list[dict]:
    return [
        {
            "id": document.pk,
            "case": document.case_id,
            "title": document.title,
            "kind": document.kind,
            "confidentiality": document.confidentiality,
            "content_type": document.content_type,
            "size": document.size,
            "sha256": document.sha256,
            "uploaded_at": document.uploaded_at.isoformat(),
            "file_in_zip": zip_name(document),
        }
        for document in Document.objects.filter(case_id__in=case_ids).order_by("case_id", "uploaded_at", "pk")
    ]


def zip_name(document: Document) -> str:
    suffix = (document.original_name or "").rpartition(".")[2].lower()
    suffix = f".{suffix}" if suffix and suffix.isalnum() and len(suffix) <= 5 else ""
    return f"documents/{document.case_id}-{document.pk}{suffix}"


def _access_log(person: Person, case_ids: list[int]) -> list[dict]:
    rows = (
        AccessLogEntry.objects.filter(
            Q(about_case__in=case_ids) | Q(object_type="cases.person", object_id=str(person.pk))
        )
        .select_related("actor_organisation")
        .order_by("timestamp", "id")
    )
    return [
        {
            "when": row.timestamp.isoformat(),
            "user": row.actor_username or "system",
            "organisation": row.actor_organisation.name if row.actor_organisation else None,
            "action": row.action,
            "object": f"{row.object_type}:{row.object_id}" if row.object_id else row.object_type,
            "case": row.about_case,
            "channel": row.channel,
            "result": row.result,
        }
        for row in rows.iterator(chunk_size=2000)
    ]


def build(person: Person) -> dict:
    """The whole file for one person (a fixed number of queries per kind of record)."""
    cases = list(Case.objects.filter(person=person).select_related("location").order_by("registered_on", "pk"))
    case_ids = [case.pk for case in cases]
    per_case: dict[int, dict[str, list]] = {case.pk: {} for case in cases}
    for source in sources():
        rows = source.model.objects.filter(**{f"{source.path}__in": case_ids}).annotate(
            subject_case_id=models.F(source.path)
        )
        for obj in rows.order_by("pk"):
            per_case[obj.subject_case_id].setdefault(source.label, []).append(_record(obj))
    match_requests = apps.get_model("cases", "MatchRequest").objects.filter(matched_person=person).order_by("pk")
    return {
        "schema": SCHEMA,
        "made_at": timezone.now().isoformat(),
        "person": _record(person),
        "cases": [
            {
                "id": case.pk,
                "external_id": case.external_id,
                "lvv": case.location.name,
                "case": _record(case),
                "records": per_case[case.pk],
            }
            for case in cases
        ],
        "match_requests": [_record(request) for request in match_requests],
        "documents": _documents(case_ids),
        "access_log": _access_log(person, case_ids),
    }


def documents_zip(person: Person) -> bytes | None:
    """The person's documents, as uploaded, in one ZIP (None when there are none)."""
    documents = list(Document.objects.filter(case__person=person).order_by("case_id", "pk"))
    if not documents:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            with document.file.open("rb") as source, archive.open(zip_name(document), "w") as target:
                for chunk in iter(lambda: source.read(1 << 16), b""):
                    target.write(chunk)
    return buffer.getvalue()


def find_person(*, person_id: int | None = None, v_number: str | None = None) -> Person | None:
    if v_number:
        return Person.objects.filter(v_number=v_number).first()
    if person_id:
        return Person.objects.filter(pk=person_id).first()
    return None


# --- The readable form (the PDF) ---------------------------------------------------------------


def _pairs(model, record: dict) -> list[tuple[str, object]]:
    names = labels(model)
    return [(names.get(key, key), value) for key, value in record.items() if value not in (None, "", [], {})]


def readable(data: dict) -> dict:
    """The file as the PDF shows it: the same content, with Dutch labels."""
    case_model = Case
    sections_of = {source.label: source.model for source in sources()}
    return {
        "made_at": data["made_at"],
        "person": _pairs(Person, data["person"]),
        "cases": [
            {
                "title": f"{case['external_id'] or 'LVV-' + str(case['id'])} · {case['lvv']}",
                "fields": _pairs(case_model, case["case"]),
                "sections": [
                    {
                        "title": str(sections_of[label]._meta.verbose_name_plural),
                        "rows": [_pairs(sections_of[label], record) for record in records],
                    }
                    for label, records in sorted(case["records"].items())
                    if label in sections_of
                ],
            }
            for case in data["cases"]
        ],
        "documents": data["documents"],
        "access_log": data["access_log"],
    }
