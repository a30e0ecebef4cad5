"""The English interface: locale/en translates every Dutch source string, and the pages use it."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from lvv.accounts.models import Role

pytestmark = pytest.mark.django_db

PO_FILE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{\{ *\w+ *\}\}")


def po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: flags, msgctxt, msgid, msgid_plural and msgstr / msgstr[n].

    A small parser so the test needs no extra dependency; obsolete (#~) entries are kept
    apart so they are checked too.
    """
    entries, entry, key = [], None, None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            entry, key = None, None
            continue
        if entry is None:
            entry = {"line": number, "flags": set(), "obsolete": obsolete}
            entries.append(entry)
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            entry[key] = ast.literal_eval(value)
    return [e for e in entries if "msgid" in e]


def test_login_page_in_english(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "Log in" in html and "Skip to content" in html and "Forgotten your password?" in html
    assert "Inloggen" not in html and "Direct naar de inhoud" not in html


def test_wrong_password_message_in_english(client, world):
    response = client.post(
        reverse("accounts:login"),
        {"username": "casemanager.amsterdam", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "The username or password is incorrect" in response.content.decode()


def test_language_switch_via_setlang(client):
    login = reverse("accounts:login")
    assert 'lang="nl"' in client.get(login).content.decode()

    response = client.post("/i18n/setlang/", {"language": "en", "next": login})
    assert response.status_code == 302 and response["Location"] == login
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    html = client.get(login).content.decode()
    assert 'lang="en"' in html and "Log in" in html and "Inloggen" not in html
    # The switcher now offers Dutch, named in Dutch.
    assert 'value="nl"' in html and "Nederlands" in html

    client.post("/i18n/setlang/", {"language": "nl", "next": login})
    assert 'lang="nl"' in client.get(login).content.decode()


def test_case_list_in_english(client, world):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    # All cases (a case worker's list shows "my cases" by default, and this one owns none).
    response = client.get(reverse("cases:list"), {"mine": "false"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    # A sortable header is a link with an arrow and a text for screen readers; the label is the rest.
    cells = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html)
    headings = [re.sub(r'<span class="app-(?:sort-icon|visually-hidden)".*?</span>|<[^>]+>', "", c) for c in cells]
    assert headings == ["Name", "V-number", "Reference", "LVV", "NGO", "Status", "Next deadline", "Registered"]
    assert "2 cases found" in html
    assert "Cases you are allowed to see" in html
    assert "Municipal case manager" in html  # the role in the header
    for dutch in ("Casussen", "Kenmerk", "Geregistreerd", "Zoeken", "Uitloggen", "Casemanager gemeente"):
        assert dutch not in html


def test_po_file_is_fully_translated():
    entries = po_entries(PO_FILE)
    header = next(e for e in entries if e["msgid"] == "")
    assert "Language: en\n" in header["msgstr"]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in header["msgstr"]
    assert "fuzzy" not in header["flags"]

    messages = [e for e in entries if e["msgid"] != ""]
    assert len(messages) > 100
    assert not [e["msgid"] for e in messages if e["obsolete"]], "obsolete entries: run make messages"
    assert not [e["msgid"] for e in messages if "fuzzy" in e["flags"]], "fuzzy entries"
    untranslated = []
    for e in messages:
        if "msgid_plural" in e:
            forms = [e.get("msgstr[0]", ""), e.get("msgstr[1]", "")]
            sources = [e["msgid"], e["msgid_plural"]]
        else:
            forms = [e.get("msgstr", "")]
            sources = [e["msgid"]]
        if not all(forms):
            untranslated.append(e["msgid"])
            continue
        for source, form in zip(sources, forms, strict=True):
            assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(form)), (source, form)
    assert not untranslated, f"untranslated: {untranslated}"


def test_mo_file_is_compiled_from_the_po_file():
    with MO_FILE.open("rb") as fp:
        catalog = gettext.GNUTranslations(fp)
    for e in po_entries(PO_FILE):
        if e["msgid"] == "" or e["obsolete"]:
            continue
        if "msgctxt" in e:
            if "msgid_plural" in e:
                assert catalog.npgettext(e["msgctxt"], e["msgid"], e["msgid_plural"], 2) == e["msgstr[1]"]
            else:
                assert catalog.pgettext(e["msgctxt"], e["msgid"]) == e["msgstr"]
        elif "msgid_plural" in e:
            assert catalog.ngettext(e["msgid"], e["msgid_plural"], 1) == e["msgstr[0]"]
            assert catalog.ngettext(e["msgid"], e["msgid_plural"], 2) == e["msgstr[1]"]
        else:
            assert catalog.gettext(e["msgid"]) == e["msgstr"], "run make messages to recompile django.mo"
