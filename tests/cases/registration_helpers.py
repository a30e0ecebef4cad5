"""Shared by the tests of registration (persons and cases) through the pages."""

from __future__ import annotations


def registration_form(location, *, case: dict | None = None, **person) -> dict:
    """The registration page's form as a case worker fills it in: Abel Tesfay, registered in
    ``location`` on 2 March 2020 by an NGO; ``person`` and ``case`` replace fields of either part."""
    data = {
        "person-v_number": "1234567890",
        "person-family_name": "Tesfay",
        "person-given_names": "Abel",
        "person-birth_date": "1981-05-02",
        "person-sex": "m",
        "person-nationality": "ER",
        "case-location": location.pk,
        "case-external_id": "AMS-2019-0001",
        "case-registered_on": "2020-03-02",
        "case-registration_source": "ngo",
    }
    data.update({f"person-{name}": value for name, value in person.items()})
    data.update({f"case-{name}": value for name, value in (case or {}).items()})
    return data
