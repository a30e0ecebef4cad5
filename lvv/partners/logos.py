"""An organisation's logo: what it may be, where it is stored, how a page or a PDF shows it.

A logo is PNG, JPEG or SVG (by content; the name must agree), at most ``LOGO_MAX_BYTES``.
An SVG is XML with an ``svg`` root and nothing active or external: no DTD or entities, no
scripts, no event attributes, no embedded HTML, no references outside the file (only
``#fragment`` links and embedded PNG or JPEG images). The bytes go through the storage API
to the documents' storage (the file system, or the S3-compatible store in production),
under a random name with the type's extension; a login-only view streams them
(``lvv.partners.views.logo``) and PDFs embed them as ``data:`` URIs. A logo is not personal
data: its reads are not written to the access log.
"""

from __future__ import annotations

import base64
import re
import uuid
from xml.etree import ElementTree

import filetype
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

LOGO_MAX_BYTES = 512 * 1024
# Detected type -> (the name users know it by, the extensions its file name may have).
LOGO_TYPES = {
    "image/png": ("PNG", ("png",)),
    "image/jpeg": ("JPEG", ("jpg", "jpeg")),
    "image/svg+xml": ("SVG", ("svg",)),
}
ACCEPT = ",".join([f".{ext}" for _name, exts in LOGO_TYPES.values() for ext in exts] + list(LOGO_TYPES))
CONTENT_TYPES = {exts[0]: content_type for content_type, (_name, exts) in LOGO_TYPES.items()}

LOGO_TOO_LARGE = _("Het logo is te groot (%(size)s). Een logo mag ten hoogste %(max)s zijn.")
LOGO_TYPE_NOT_ALLOWED = _("Een logo is een PNG-, JPEG- of SVG-bestand (herkend aan de inhoud van het bestand).")
LOGO_TYPE_MISMATCH = _(
    "De inhoud van dit bestand is %(detected)s, maar de bestandsnaam zegt iets anders. "
    "Geef het bestand de juiste extensie (%(extensions)s)."
)
LOGO_SVG_UNSAFE = _(
    "Deze SVG bevat iets wat een logo niet mag bevatten (een script, een verwijzing naar een ander bestand "
    "of een DTD). Sla het logo op als eenvoudige SVG of als PNG."
)

SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
_FORBIDDEN_ELEMENTS = {"script", "foreignobject", "iframe", "object", "embed", "handler", "listener"}
_SAFE_HREF = re.compile(r"#|data:image/(png|jpeg);base64,", re.IGNORECASE)
_URL_REFERENCE = re.compile(r"url\(\s*['\"]?(?!#)", re.IGNORECASE)


def logo_storage():
    """The storage that holds logos: the documents' storage (``STORAGES["documents"]``)."""
    return storages["documents"]


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _svg_is_safe(data: bytes) -> bool:
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        return False
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 -- no DTD (refused above), so no entities to expand
    except ElementTree.ParseError:
        return False
    if root.tag not in (f"{SVG_NAMESPACE}svg", "svg"):
        return False
    for element in root.iter():
        if not isinstance(element.tag, str) or _local(element.tag) in _FORBIDDEN_ELEMENTS:
            return False
        if _local(element.tag) == "style" and (
            "@import" in (element.text or "") or _URL_REFERENCE.search(element.text or "")
        ):
            return False
        for name, value in element.attrib.items():
            local = _local(name)
            if local.startswith("on"):
                return False
            if local == "href" and not _SAFE_HREF.match(value.strip()):
                return False
            if _URL_REFERENCE.search(value):
                return False
    return True


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg"))


def detect(data: bytes) -> str | None:
    """The logo's content type by its content (PNG, JPEG, SVG), or None."""
    kind = filetype.guess_mime(data[:8192])
    if kind in ("image/png", "image/jpeg"):
        return kind
    if kind is None and _looks_like_svg(data[:1024]):
        return "image/svg+xml"
    return None


def _read(file) -> bytes:
    file.seek(0)
    data = file.read(LOGO_MAX_BYTES + 1)
    file.seek(0)
    return data


def validate_logo(file) -> None:
    """The model field's validator (the admin's form runs it before anything is stored)."""
    size = getattr(file, "size", None)
    if size is not None and size > LOGO_MAX_BYTES:
        raise ValidationError(LOGO_TOO_LARGE % {"size": filesizeformat(size), "max": filesizeformat(LOGO_MAX_BYTES)})
    data = _read(file)
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError(
            LOGO_TOO_LARGE % {"size": filesizeformat(len(data)), "max": filesizeformat(LOGO_MAX_BYTES)}
        )
    content_type = detect(data)
    if content_type is None:
        raise ValidationError(LOGO_TYPE_NOT_ALLOWED)
    if content_type == "image/svg+xml" and not _svg_is_safe(data):
        raise ValidationError(LOGO_SVG_UNSAFE)
    name, extensions = LOGO_TYPES[content_type]
    given = (getattr(file, "name", "") or "").rsplit(".", 1)
    if len(given) != 2 or given[1].lower() not in extensions:
        raise ValidationError(
            LOGO_TYPE_MISMATCH % {"detected": name, "extensions": ", ".join(f".{ext}" for ext in extensions)}
        )


def logo_path(instance, filename: str) -> str:
    """Where the logo's bytes live: per organisation, a random name with its type's extension
    (the validator made sure that the name's extension agrees with the content; a name
    without a known extension is stored without one and never served)."""
    given = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    extension = next((exts[0] for _name, exts in LOGO_TYPES.values() if given in exts), "")
    return f"logos/{instance.pk or 'new'}/{uuid.uuid4().hex}" + (f".{extension}" if extension else "")


def content_type_of(name: str) -> str | None:
    return CONTENT_TYPES.get(name.rsplit(".", 1)[-1].lower())


def version_of(name: str) -> str:
    """A stored logo's version for its URL (its random name): a new logo, a new URL."""
    return name.rsplit("/", 1)[-1].split(".", 1)[0]


def data_uri(organisation) -> str:
    """The organisation's logo as a ``data:`` URI for a PDF ("" without one, or when its file
    cannot be read: a PDF is never refused for its logo)."""
    if organisation is None or not organisation.logo:
        return ""
    content_type = content_type_of(organisation.logo.name)
    if content_type is None:
        return ""
    try:
        with organisation.logo.open("rb") as file:
            data = file.read(LOGO_MAX_BYTES + 1)
    except OSError:
        return ""
    if len(data) > LOGO_MAX_BYTES:
        return ""
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"
