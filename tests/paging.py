"""Shared by the tests of lists shown in pages: on a page (the case's documents and owners, the
person's notes), the first page, the next, one beyond the last and one that is no number; in
the API (documents, notes), pages and a filter."""

from __future__ import annotations


def assert_paged(client, url: str, param: str, testid: str, things: str, first, second) -> str:
    """The list on the page at ``url``, paged by ``param``: page 1 shows ``first`` (how many
    of ``testid``, and a text among them) and a link to older ``things``; page 2 ``second`` and a
    link back to newer ones; a page beyond the last none, and says so; a page that is not a
    number still answers. Returns the first page."""
    marker = f'data-testid="{testid}"'
    one = client.get(url).content.decode()
    assert one.count(marker) == first[0] and first[1] in one and f"Oudere {things}" in one
    two = client.get(url, {param: 2}).content.decode()
    assert two.count(marker) == second[0] and second[1] in two and f"Nieuwere {things}" in two
    beyond = client.get(url, {param: 99}).content.decode()
    assert marker not in beyond and f"Er zijn geen oudere {things}." in beyond
    assert client.get(url, {param: "x" * 50}).status_code == 200
    return one


def assert_api_paged(api_client, url: str, field: str, newest: list, third, kind: str, of_kind: list) -> None:
    """The API's list at ``url`` of five records, by their ``field``: two a page, ``newest``
    first and then ``third``; filtered by ``kind``, ``of_kind``; an unknown kind refused."""
    page_one = api_client.get(url, {"page_size": 2}).json()
    assert page_one["count"] == 5 and [row[field] for row in page_one["results"]] == newest
    assert api_client.get(page_one["next"]).json()["results"][0][field] == third
    filtered = api_client.get(url, {"kind": kind}).json()
    assert [row[field] for row in filtered["results"]] == of_kind
    assert api_client.get(url, {"kind": "letter"}).status_code == 400
