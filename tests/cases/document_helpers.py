"""Files and shortcuts for the tests of case documents (pages, service and API)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases import demo_files, services
from cases.models import Document
from lvv.audit.log import COMMAND


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "Overzicht"
    book.save(out)
    return out.getvalue()


PDF = demo_files.pdf("Beschikking", "Fictief document voor de tests.")
PNG = demo_files.png()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
ZIP_ARCHIVE = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 100

# name, bytes, the content type the server detects
ALLOWED = [
    ("beschikking.pdf", PDF, "application/pdf"),
    ("foto.jpg", None, "image/jpeg"),
    ("foto.JPEG", None, "image/jpeg"),
    ("scan.png", PNG, "image/png"),
    (
        "brief.docx",
        demo_files.docx("Een brief."),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("lijst.xlsx", None, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("verslag.odt", demo_files.odt("Een verslag."), "application/vnd.oasis.opendocument.text"),
]


def allowed_files():
    for name, content, content_type in ALLOWED:
        if content is None:
            content = jpeg() if content_type == "image/jpeg" else xlsx()
        yield name, content, content_type


def upload(name: str = "beschikking.pdf", content: bytes = PDF, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def add(user, case, *, file=None, title="Beschikking IND", kind="decision", **kwargs) -> Document:
    return services.add_document(
        acting_user=user,
        origin=COMMAND,
        case=case,
        file=file if file is not None else upload(),
        title=title,
        kind=kind,
        **kwargs,
    )


def documents_root() -> Path:
    return Path(storages["documents"].location)


def empty_documents_root() -> Path:
    root = documents_root()
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return root


def stored_files() -> list[Path]:
    root = documents_root()
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
