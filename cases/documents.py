"""What a case document may be: its type by content, its size, its name.

``inspect_upload`` reads an uploaded file once, in chunks: the first bytes decide the type
(by content, with ``filetype``; the name the user gave is never trusted), the rest give the
size and the SHA-256. The type must be one of ``DOCUMENT_TYPES`` and agree with the file
name's extension, so a renamed executable, or a ``.pdf`` that is really a PNG, is refused.
``cases.services.add_document`` calls it before anything is stored.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# Detected content type -> (the name users know it by, the file name extensions it may have).
DOCUMENT_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "application/pdf": ("PDF", ("pdf",)),
    "image/jpeg": ("JPEG", ("jpg", "jpeg")),
    "image/png": ("PNG", ("png",)),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("DOCX", ("docx",)),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("XLSX", ("xlsx",)),
    "application/vnd.oasis.opendocument.text": ("ODT", ("odt",)),
}
ALLOWED_EXTENSIONS = tuple(ext for _label, extensions in DOCUMENT_TYPES.values() for ext in extensions)
# The file input's ``accept``: a hint for the browser's file picker; the server decides.
ACCEPT = ",".join([f".{ext}" for ext in ALLOWED_EXTENSIONS] + list(DOCUMENT_TYPES))
TYPE_NAMES = ", ".join(label for label, _ext in DOCUMENT_TYPES.values())

HEAD_BYTES = 8192  # what filetype looks at
CHUNK_BYTES = 64 * 1024
ORIGINAL_NAME_MAX = 255
# A multipart body carries the form's other fields and boundaries beside the file: a request
# longer than the maximum by more than this is refused before it is read.
UPLOAD_OVERHEAD_BYTES = 1024 * 1024

DOCUMENT_EMPTY = _("Het bestand is leeg.")
DOCUMENT_TOO_LARGE = _("Het bestand is te groot (%(size)s). Een document mag ten hoogste %(max)s zijn.")
DOCUMENT_TYPE_NOT_ALLOWED = _(
    "Dit soort bestand kan niet worden toegevoegd. Toegestaan zijn: %(types)s (herkend aan de inhoud van het bestand)."
)
DOCUMENT_TYPE_MISMATCH = _(
    "De inhoud van dit bestand is %(detected)s, maar de bestandsnaam zegt iets anders. "
    "Geef het bestand de juiste extensie (%(extensions)s) en probeer het opnieuw."
)
DOCUMENT_FILE_REQUIRED = _("Kies een bestand.")


@dataclass(frozen=True)
class InspectedUpload:
    """What ``inspect_upload`` found: the content type by content, the size and the hash."""

    content_type: str
    size: int
    sha256: str
    original_name: str


def max_bytes() -> int:
    return int(settings.DOCUMENT_MAX_BYTES)


def too_large_message(size: int):
    return DOCUMENT_TOO_LARGE % {"size": filesizeformat(size), "max": filesizeformat(max_bytes())}


def request_too_large(request) -> bool:
    """Whether the request's declared body is larger than any allowed upload can make it
    (checked before the body is read)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > max_bytes() + UPLOAD_OVERHEAD_BYTES


def clean_name(name: str | None) -> str:
    """The user's file name without any folder, control characters or surrounding spaces,
    at most 255 characters (the extension kept). Only ever shown and used in
    ``Content-Disposition``; never a path in the storage."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > ORIGINAL_NAME_MAX:
        stem, ext = os.path.splitext(name)
        ext = ext[:20]
        name = stem[: ORIGINAL_NAME_MAX - len(ext)] + ext
    return name


def extension_of(name: str) -> str:
    _stem, ext = os.path.splitext(name)
    return ext.lstrip(".").lower()


def inspect_upload(file) -> InspectedUpload:
    """Check an uploaded file (a Django ``File``) and read its size and SHA-256, in chunks.

    Raises ``ValidationError({"file": ...})``: no file, an empty one, one larger than
    ``DOCUMENT_MAX_BYTES``, a type (by content) that is not allowed, or a type that does
    not agree with the file name's extension.
    """
    if file is None:
        raise ValidationError({"file": DOCUMENT_FILE_REQUIRED})
    limit = max_bytes()
    declared = getattr(file, "size", None)
    if declared is not None and declared > limit:  # known without reading it
        raise ValidationError({"file": too_large_message(declared)})
    file.seek(0)
    head = file.read(HEAD_BYTES) or b""
    if not head:
        raise ValidationError({"file": DOCUMENT_EMPTY})
    digest = hashlib.sha256(head)
    size = len(head)
    while chunk := file.read(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise ValidationError({"file": too_large_message(size)})
        digest.update(chunk)
    file.seek(0)
    if size > limit:
        raise ValidationError({"file": too_large_message(size)})
    guessed = filetype.guess(bytes(head))
    content_type = guessed.mime if guessed is not None else ""
    if content_type not in DOCUMENT_TYPES:
        raise ValidationError({"file": DOCUMENT_TYPE_NOT_ALLOWED % {"types": TYPE_NAMES}})
    label, extensions = DOCUMENT_TYPES[content_type]
    name = clean_name(getattr(file, "name", ""))
    if extension_of(name) not in extensions:
        raise ValidationError(
            {
                "file": DOCUMENT_TYPE_MISMATCH
                % {"detected": label, "extensions": ", ".join(f".{ext}" for ext in extensions)}
            }
        )
    return InspectedUpload(content_type=content_type, size=size, sha256=digest.hexdigest(), original_name=name)
