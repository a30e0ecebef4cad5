"""Special-category data in the LSO's free texts: DT&V review notes and partners'
preparation notes marked ``special`` are read only by users who may see that data of the
case, in every channel (page, API, agenda pack, timeline, agenda reasons); only they may
mark or write such a text; the queries stay fixed. The MRT's reasoning:
``tests/mrt/test_special_texts.py``; the demo shows both sides: ``tests/test_demo_data.py``."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm
from pypdf import PdfReader

from cases.models import EventType, TimelineEvent
from lso import confidential, pdf, selectors, services
from lso.models import PreparationNote, ReviewNote
from lvv.accounts.models import Role, User
from lvv.audit.log import COMMAND
from tests.factories import UserFactory
from tests.lso.helpers import chair, meeting_for, published, sheltered_case
from tests.notices import assert_notices_do_not_quote
from tests.queries import assert_queries_stay_fixed
from tests.users import fresh, with_special

pytestmark = pytest.mark.django_db

API = "/api/v1"
SECRET = "Psychiatrische behandeling; suïciderisico verhoogd"
OTHER_SECRET = "Belijdt sinds kort een ander geloof"
PLACEHOLDER = str(confidential.WITHHELD)


def second_dtv(lvv) -> User:
    """A colleague of the DT&V supervisor (same team, no special-category permission)."""
    return UserFactory(username=f"dtv2.{lvv.location.slug}", organisation=lvv.dtv, roles=[Role.DTV])


def review(lvv, case, *, text=SECRET, confidentiality="special", flagged=False, user=None):
    return services.add_review_note(
        acting_user=user or with_special(lvv.users[Role.DTV], case),
        origin=COMMAND,
        case=case,
        text=text,
        flagged=flagged,
        confidentiality=confidentiality,
    )


def prepare(lvv, item, user, *, text=SECRET, confidentiality="special"):
    return services.save_preparation_note(
        acting_user=user, origin=COMMAND, item=item, text=text, confidentiality=confidentiality
    )


def assert_case_does_not_quote(secret: str, lvv, case, client, api_client) -> None:
    """The case page and the API's timeline, for a reader with and one without the
    special-category permission, do not quote the text."""
    for user in (with_special(lvv.users[Role.CASEMANAGER]), lvv.users[Role.NGO]):
        client.force_login(user)
        page = client.get(reverse("cases:detail", args=[case.pk]))
        assert page.status_code == 200 and secret not in page.content.decode()
        api_client.force_authenticate(user)
        response = api_client.get(f"{API}/cases/{case.pk}/timeline/")
        assert response.status_code == 200 and secret not in response.content.decode()


def readers_without(lvv) -> dict[str, User]:
    """Readers of the assigned case without the special-category permission."""
    return {
        "ngo": lvv.users[Role.NGO],
        "ind": lvv.users[Role.IND],
        "dtv": second_dtv(lvv),
        "chair": chair(lvv),
    }


# --- DT&V review notes ------------------------------------------------------------------------


def test_a_special_review_note_needs_the_permission(world):
    ams = world.ams
    case = sheltered_case(ams)
    dtv = ams.users[Role.DTV]
    with pytest.raises(PermissionDenied) as refused:
        review(ams, case, user=dtv)
    assert str(refused.value) == str(confidential.SPECIAL_NOT_ALLOWED)
    # A grant on another case does not help.
    with pytest.raises(PermissionDenied):
        review(ams, case, user=with_special(dtv, sheltered_case(ams)))
    with pytest.raises(ValidationError) as invalid:
        review(ams, case, user=with_special(dtv, case), confidentiality="secret")
    assert invalid.value.message_dict == {"confidentiality": [str(confidential.CONFIDENTIALITY_INVALID)]}
    assert not ReviewNote.objects.exists()
    assert not TimelineEvent.objects.filter(type=EventType.DTV_REVIEW).exists()
    note = review(ams, case)
    assert note.confidentiality == "special" and note.text == SECRET
    assert review(ams, case, user=dtv, text="Loopt volgens plan", confidentiality="normal").confidentiality == "normal"


def test_the_timeline_notices_and_the_agenda_never_quote_a_special_review(
    world, client, api_client, django_capture_on_commit_callbacks
):
    ams = world.ams
    case = sheltered_case(ams)
    with django_capture_on_commit_callbacks(execute=True):
        note = review(ams, case, flagged=True)  # the chair's inbox "to prepare": a notice
    assert_notices_do_not_quote(django_capture_on_commit_callbacks, SECRET)
    event = TimelineEvent.objects.get(type=EventType.DTV_REVIEW, case=case)
    assert event.pk == note.event_id
    assert event.summary == str(confidential.EVENT_SUMMARY)
    assert event.data == {"note": note.pk, "flagged": True, "text_confidentiality": "special"}
    normal = review(ams, case, user=ams.users[Role.DTV], text="Geen voortgang", confidentiality="normal")
    assert TimelineEvent.objects.get(pk=normal.event_id).summary == "Geen voortgang"
    assert_case_does_not_quote(SECRET, ams, case, client, api_client)
    # The flag puts the case among the suggestions; its reason does not quote the text.
    meeting = meeting_for(ams)
    [suggestion] = selectors.suggestions(meeting, chair(ams))
    assert SECRET not in suggestion.detail and str(confidential.EVENT_SUMMARY) in suggestion.detail
    services.add_suggested_items(acting_user=chair(ams), origin=COMMAND, meeting=meeting, cases=[case])
    assert SECRET not in meeting.items.get().reason_detail


def test_review_note_page(world, client):
    ams = world.ams
    case = sheltered_case(ams)
    url = reverse("lso:review-note", args=[case.pk])
    permitted = with_special(ams.users[Role.DTV], case)
    client.force_login(permitted)
    page = client.get(url).content.decode()
    assert 'name="special"' in page and str(confidential.SPECIAL_LABEL) in page
    response = client.post(url, {"text": SECRET, "special": "on"})
    assert response.status_code == 302
    note = ReviewNote.objects.get()
    assert note.confidentiality == "special"
    page = client.get(url).content.decode()
    assert SECRET in page and 'data-testid="special-mark"' in page

    colleague = second_dtv(ams)
    client.force_login(colleague)
    page = client.get(url).content.decode()
    assert SECRET not in page and PLACEHOLDER in page
    assert 'name="special"' not in page  # not offered
    # A crafted mark is refused (403), and nothing is stored.
    response = client.post(url, {"text": OTHER_SECRET, "special": "on"})
    assert response.status_code == 403
    assert str(confidential.SPECIAL_NOT_ALLOWED) in response.content.decode()
    assert ReviewNote.objects.count() == 1
    # Without the mark the colleague writes a normal review.
    assert client.post(url, {"text": "Dossier compleet"}).status_code == 302
    assert ReviewNote.objects.filter(confidentiality="normal").count() == 1


def test_review_notes_over_the_api(world, api_client):
    ams = world.ams
    case = ams.assigned
    special = review(ams, case)
    normal = review(ams, case, user=ams.users[Role.DTV], text="Geen voortgang", confidentiality="normal")
    readers = {"casemanager": with_special(ams.users[Role.CASEMANAGER]), **readers_without(ams)}
    for name, user in readers.items():
        api_client.force_authenticate(user)
        listing = api_client.get(f"{API}/reviews/", {"case": case.pk})
        detail = api_client.get(f"{API}/reviews/{special.pk}/")
        assert listing.status_code == 200 and detail.status_code == 200
        rows = {row["id"]: row for row in listing.json()["results"]}
        assert rows[normal.pk]["text"] == "Geen voortgang"
        assert rows[special.pk]["confidentiality"]["code"] == "special"
        if name == "casemanager":
            assert rows[special.pk]["text"] == SECRET and detail.json()["text"] == SECRET
        else:
            assert rows[special.pk]["text"] is None and detail.json()["text"] is None, name
            assert SECRET not in listing.content.decode() + detail.content.decode(), name

    # Writing: the mark needs the permission (403, nothing stored); a bad mark is a field error.
    body = {"case": case.pk, "text": OTHER_SECRET, "confidentiality": "special"}
    api_client.force_authenticate(second_dtv(ams))
    response = api_client.post(f"{API}/reviews/", body, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == str(confidential.SPECIAL_NOT_ALLOWED)
    response = api_client.post(f"{API}/reviews/", {**body, "confidentiality": "geheim"}, format="json")
    assert response.status_code == 400 and "confidentiality" in response.json()
    assert not ReviewNote.objects.filter(text=OTHER_SECRET).exists()
    api_client.force_authenticate(with_special(ams.users[Role.DTV], case))
    response = api_client.post(f"{API}/reviews/", body, format="json")
    assert response.status_code == 201
    assert response.json()["text"] == OTHER_SECRET and response.json()["confidentiality"]["code"] == "special"


def test_review_list_queries_stay_fixed(world, api_client):
    """A reader with grants on some cases: the permission check is one step per page."""
    ams = world.ams
    reader = second_dtv(ams)

    def grow(n):
        for _ in range(n):
            case = sheltered_case(ams)
            review(ams, case)
            assign_perm("cases.view_special_category", reader, case)
            review(ams, sheltered_case(ams))  # not granted: withheld

    def count():
        api_client.force_authenticate(fresh(reader))
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(f"{API}/reviews/")
        assert response.status_code == 200
        texts = [row["text"] for row in response.json()["results"]]
        assert texts.count(SECRET) == texts.count(None) > 0
        return len(queries.captured_queries)

    assert_queries_stay_fixed(grow, count, 1, 8)


# --- Preparation notes -----------------------------------------------------------------------


def test_a_special_preparation_note_needs_the_permission(world):
    ams = world.ams
    meeting = published(ams, [ams.assigned])
    item = meeting.items.get()
    ngo = ams.users[Role.NGO]
    with pytest.raises(PermissionDenied):
        prepare(ams, item, ngo)
    with pytest.raises(ValidationError) as invalid:
        prepare(ams, item, ngo, confidentiality="x")
    assert list(invalid.value.message_dict) == ["confidentiality"]
    assert not PreparationNote.objects.exists()
    # A colleague with the permission writes the NGO's note as special ...
    colleague = with_special(UserFactory(username="ngo2.amsterdam", organisation=ams.ngo_a, roles=[Role.NGO]))
    note = prepare(ams, item, colleague)
    assert note.confidentiality == "special"
    # ... which the guide without it can neither read nor overwrite.
    with pytest.raises(PermissionDenied) as locked:
        prepare(ams, item, ngo, text="Overschreven", confidentiality="normal")
    assert str(locked.value) == str(services.NOTE_SPECIAL_LOCKED)
    note.refresh_from_db()
    assert note.text == SECRET and note.confidentiality == "special"
    # The colleague may make it normal again.
    assert prepare(ams, item, colleague, text="Afspraken nagekomen", confidentiality="normal").confidentiality == (
        "normal"
    )


def test_preparation_notes_on_the_meeting_page(world, client):
    ams = world.ams
    meeting = published(ams, [ams.assigned])
    item = meeting.items.get()
    url = reverse("lso:meeting-detail", args=[meeting.pk])
    note_url = reverse("lso:item-note", args=[meeting.pk, item.pk])

    def note_form() -> str:
        """The note's form as the page shows it when opened (ADR 0029)."""
        return client.get(note_url, HTTP_HX_REQUEST="true").content.decode()

    manager = with_special(ams.users[Role.CASEMANAGER])
    client.force_login(manager)
    assert f'hx-get="{note_url}"' in client.get(url).content.decode()
    assert f'name="note-{item.pk}-special"' in note_form()
    response = client.post(note_url, {f"note-{item.pk}-text": SECRET, f"note-{item.pk}-special": "on"})
    assert response.status_code == 302
    assert PreparationNote.objects.get().confidentiality == "special"
    page = client.get(url).content.decode()
    assert SECRET in page and 'data-testid="special-mark"' in page
    form = note_form()
    assert SECRET in form  # the form holds the note as it stands, with its mark
    assert "checked" in form.split(f'name="note-{item.pk}-special"')[1].split(">")[0]

    for name, user in readers_without(ams).items():
        client.force_login(user)
        page = client.get(url).content.decode()
        assert SECRET not in page and PLACEHOLDER in page, name
        form = note_form()
        assert SECRET not in form and f'name="note-{item.pk}-special"' not in form, name

    # The NGO guide: no mark offered; a crafted one is refused with 403 on the page.
    client.force_login(ams.users[Role.NGO])
    response = client.post(note_url, {f"note-{item.pk}-text": OTHER_SECRET, f"note-{item.pk}-special": "on"})
    assert response.status_code == 403
    assert str(confidential.SPECIAL_NOT_ALLOWED) in response.content.decode()
    assert not PreparationNote.objects.filter(text=OTHER_SECRET).exists()
    # The municipality's special note: the chair (same organisation, no permission) sees
    # that it is locked instead of a form that would overwrite it.
    client.force_login(chair(ams))
    page = client.get(url).content.decode()
    assert 'data-testid="note-locked"' in page and f'hx-get="{note_url}"' not in page
    form = note_form()
    assert 'data-testid="note-not-open"' in form and "<form" not in form and SECRET not in form
    response = client.post(note_url, {f"note-{item.pk}-text": "Overschreven"})
    assert response.status_code == 403
    assert PreparationNote.objects.get(organisation=ams.location.municipality).text == SECRET


def test_preparation_notes_over_the_api(world, api_client):
    ams = world.ams
    meeting = published(ams, [ams.assigned])
    item = meeting.items.get()
    manager = with_special(ams.users[Role.CASEMANAGER])
    api_client.force_authenticate(manager)
    response = api_client.post(
        f"{API}/agenda-items/{item.pk}/notes/", {"text": SECRET, "confidentiality": "special"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["text"] == SECRET and response.json()["confidentiality"]["code"] == "special"
    urls = [
        f"{API}/agenda-items/{item.pk}/",
        f"{API}/agenda-items/?meeting={meeting.pk}",
        f"{API}/meetings/{meeting.pk}/",
    ]
    for url in urls:
        assert SECRET in api_client.get(url).content.decode()
    for name, user in readers_without(ams).items():
        api_client.force_authenticate(user)
        for url in urls:
            response = api_client.get(url)
            assert response.status_code == 200 and SECRET not in response.content.decode(), (name, url)
        [note] = api_client.get(urls[0]).json()["notes"]
        assert note["text"] is None and note["confidentiality"]["code"] == "special"
    api_client.force_authenticate(ams.users[Role.NGO])
    response = api_client.post(
        f"{API}/agenda-items/{item.pk}/notes/", {"text": OTHER_SECRET, "confidentiality": "special"}, format="json"
    )
    assert response.status_code == 403
    response = api_client.post(
        f"{API}/agenda-items/{item.pk}/notes/", {"text": OTHER_SECRET, "confidentiality": "x"}, format="json"
    )
    assert response.status_code == 400 and "confidentiality" in response.json()
    assert not PreparationNote.objects.filter(text=OTHER_SECRET).exists()


def test_the_agenda_pack_withholds_special_notes(world):
    ams = world.ams
    meeting = published(ams, [ams.assigned])
    item = meeting.items.get()
    manager = with_special(ams.users[Role.CASEMANAGER])
    prepare(ams, item, manager)
    prepare(ams, item, ams.users[Role.NGO], text="Afspraken nagekomen", confidentiality="normal")
    html = pdf.render_pack_html(meeting, manager)
    assert SECRET in html and "Afspraken nagekomen" in html
    for name, user in readers_without(ams).items():
        html = pdf.render_pack_html(meeting, user)
        assert SECRET not in html and PLACEHOLDER in html and "Afspraken nagekomen" in html, name
    # The PDF itself, for a reader without and one with the permission.
    data, _case_ids = pdf.pack_pdf(meeting, ams.users[Role.NGO])
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)
    assert "suïciderisico" not in text and "niet zichtbaar voor u" in text
    data, _case_ids = pdf.pack_pdf(meeting, with_special(ams.users[Role.DTV], ams.assigned))
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)
    assert "suïciderisico" in text


def test_meeting_page_queries_stay_fixed_with_special_notes(world, client, django_assert_max_num_queries):
    ams = world.ams
    reader = second_dtv(ams)  # a partner: the page checks the mark for every item
    writer = with_special(ams.users[Role.CASEMANAGER])
    meeting = published(ams, [sheltered_case(ams)])

    def add_items(n):
        for _ in range(n):
            case = sheltered_case(ams)
            item = services.add_item(acting_user=chair(ams), origin=COMMAND, meeting=meeting, case=case)
            prepare(ams, item, writer)
            prepare(ams, item, ams.users[Role.DTV], text="Vertrekgesprek gevoerd", confidentiality="normal")
            assign_perm("cases.view_special_category", reader, case)  # a grant on every other case
            case = sheltered_case(ams)
            item = services.add_item(acting_user=chair(ams), origin=COMMAND, meeting=meeting, case=case)
            prepare(ams, item, writer)

    def count():
        client.force_login(fresh(reader))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("lso:meeting-detail", args=[meeting.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert html.count(PLACEHOLDER) == html.count(SECRET) > 0
        return len(queries.captured_queries)

    small = assert_queries_stay_fixed(add_items, count, 1, 6)
    with django_assert_max_num_queries(small):
        client.get(reverse("lso:meeting-detail", args=[meeting.pk]))


def test_a_withheld_text_is_never_saved(world):
    ams = world.ams
    note = review(ams, sheltered_case(ams))
    [read] = list(selectors.visible_review_notes(ams.users[Role.NGO]).filter(pk=note.pk))
    assert read.text == "" and read.text_withheld
    with pytest.raises(ValueError):
        read.save()
    with pytest.raises(TypeError):
        list(selectors.visible_review_notes(ams.users[Role.NGO]).values_list("text", flat=True))
    assert ReviewNote.objects.get(pk=note.pk).text == SECRET
