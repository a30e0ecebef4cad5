"""A logo per organisation: checked by content (PNG, JPEG, plain SVG; size), set by the
functional manager in the admin, stored through the storage API, streamed by a login-only
view under a versioned URL, shown in the header for the organisation's users and embedded
in the agenda pack of the municipality's LVV."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from lso import pdf as lso_pdf
from lso.models import Meeting
from lvv.accounts.models import Role
from lvv.partners import logos
from lvv.partners.models import Organisation
from tests.factories import UserFactory
from tests.html_parts import find_all
from tests.lso.helpers import published, sheltered_case

SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
    b'<rect width="120" height="40" fill="#154273"/><text x="10" y="26" fill="#fff">Gemeente</text></svg>'
)


def png(width: int = 12, height: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (21, 66, 115)).save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize(("name", "data"), [("logo.png", png()), ("logo.jpg", jpeg()), ("logo.svg", SVG)])
def test_png_jpeg_and_plain_svg_are_logos(name, data):
    logos.validate_logo(upload(name, data))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("logo.gif", b"GIF89a" + b"\x00" * 40, logos.LOGO_TYPE_NOT_ALLOWED),
        ("logo.pdf", b"%PDF-1.7\n" + b"0" * 40, logos.LOGO_TYPE_NOT_ALLOWED),
        ("logo.jpg", png(), logos.LOGO_TYPE_MISMATCH % {"detected": "PNG", "extensions": ".png"}),
        ("logo", SVG, logos.LOGO_TYPE_MISMATCH % {"detected": "SVG", "extensions": ".svg"}),
        ("logo.svg", SVG.replace(b"<rect", b'<script>alert("x")</script><rect'), logos.LOGO_SVG_UNSAFE),
        ("logo.svg", SVG.replace(b"<rect", b'<rect onload="alert(1)"'), logos.LOGO_SVG_UNSAFE),
        ("logo.svg", SVG.replace(b"<rect", b'<image href="https://example.org/x.png"/><rect'), logos.LOGO_SVG_UNSAFE),
        ("logo.svg", SVG.replace(b'fill="#154273"', b'fill="url(https://example.org/x)"'), logos.LOGO_SVG_UNSAFE),
        ("logo.svg", b'<!DOCTYPE svg [<!ENTITY a "aaaa">]>' + SVG[SVG.index(b"<svg") :], logos.LOGO_SVG_UNSAFE),
        ("logo.svg", b"<html><body>geen svg</body></html>", logos.LOGO_TYPE_NOT_ALLOWED),
        ("logo.svg", b"<?xml version='1.0'?><html/>", logos.LOGO_SVG_UNSAFE),
    ],
)
def test_other_files_are_refused_with_the_reason(name, data, message):
    with pytest.raises(ValidationError) as refused:
        logos.validate_logo(upload(name, data))
    assert refused.value.messages == [str(message)]


def test_a_logo_over_the_limit_is_refused():
    big = png() + b"\x00" * logos.LOGO_MAX_BYTES
    with pytest.raises(ValidationError) as refused:
        logos.validate_logo(upload("logo.png", big))
    assert "te groot" in refused.value.messages[0]


def set_logo(organisation: Organisation, name: str, data: bytes) -> Organisation:
    organisation.logo.save(name, ContentFile(data, name=name), save=True)
    return organisation


@pytest.mark.django_db
def test_the_functional_manager_sets_the_logo_in_the_admin(client, world):
    municipality = world.ams.location.municipality
    client.force_login(UserFactory(username="beheer", is_staff=True, is_superuser=True))
    url = reverse("admin:partners_organisation_change", args=[municipality.pk])
    form = {"name": municipality.name, "kind": municipality.kind}
    refused = client.post(url, {**form, "logo": upload("logo.png", b"GIF89a" + b"\x00" * 40)})
    assert refused.status_code == 200
    assert str(logos.LOGO_TYPE_NOT_ALLOWED) in refused.content.decode()
    municipality.refresh_from_db()
    assert not municipality.logo

    response = client.post(url, {**form, "logo": upload("Logo Amsterdam.svg", SVG)})
    assert response.status_code == 302
    municipality.refresh_from_db()
    name = municipality.logo.name
    assert name.startswith(f"logos/{municipality.pk}/") and name.endswith(".svg")
    storage = storages["documents"]
    assert storage.open(name).read() == SVG  # through the storage API, in the documents' storage

    # A new logo replaces the old one; the old file goes.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.db.transaction.on_commit", lambda fn, **kwargs: fn())
        response = client.post(url, {**form, "logo": upload("logo.png", png())})
    assert response.status_code == 302
    municipality.refresh_from_db()
    assert municipality.logo.name.endswith(".png") and not storage.exists(name)


@pytest.mark.django_db
def test_the_header_shows_the_logo_to_the_organisations_users(client, world):
    ams = world.ams
    municipality = set_logo(ams.location.municipality, "logo.png", png())
    client.force_login(ams.users[Role.CASEMANAGER])
    html = client.get(reverse("cases:list")).content.decode()
    [image] = find_all(html, data_testid="organisation-logo")
    url = reverse("partners:logo", args=[municipality.pk, municipality.logo_version])
    assert image.attrs["src"] == url
    assert image.attrs["alt"] == f"Logo van {municipality.name}"

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png()
    assert client.get(reverse("partners:logo", args=[municipality.pk, "oud"])).status_code == 404

    # An NGO's user sees no logo (the NGO has none); a signed-out visitor gets the login page.
    client.force_login(ams.users[Role.NGO])
    assert not find_all(client.get(reverse("cases:list")).content.decode(), data_testid="organisation-logo")
    client.logout()
    assert client.get(url).status_code == 302


@pytest.mark.django_db
def test_an_svg_logo_is_served_inert(client, world):
    municipality = set_logo(world.ams.location.municipality, "logo.svg", SVG)
    client.force_login(world.rot.users[Role.CASEMANAGER])  # a logo is not personal data
    response = client.get(reverse("partners:logo", args=[municipality.pk, municipality.logo_version]))
    assert response["Content-Type"] == "image/svg+xml"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_agenda_pack_carries_the_municipalitys_logo(world):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams)])
    chair = ams.users[Role.LSO_CHAIR]
    assert 'data-part="logo"' not in lso_pdf.render_pack_html(meeting, chair)
    set_logo(ams.location.municipality, "logo.png", png())
    meeting = Meeting.objects.get(pk=meeting.pk)
    html = lso_pdf.render_pack_html(meeting, chair)
    [image] = find_all(html, data_part="logo")
    assert image.attrs["src"] == logos.data_uri(ams.location.municipality)
    assert image.attrs["src"].startswith("data:image/png;base64,")
    pdf, _cases = lso_pdf.pack_pdf(meeting, chair)  # WeasyPrint embeds it without fetching anything
    assert pdf.startswith(b"%PDF") and b"/Image" in pdf
