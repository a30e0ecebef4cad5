"""``{% list_th listing "key" label %}``: a column header, a sort link when the list sorts on it."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("includes/list_th.html")
def list_th(listing, key: str, label, css: str = "") -> dict:
    """The header cell of column ``key``: with ``listing`` (a ``Listing``) and a sortable
    column, a link that sorts on it and ``aria-sort`` on the active one; a plain header
    otherwise (the same table elsewhere, such as the inbox sections of the home page)."""
    header = listing.header(key) if listing is not None and hasattr(listing, "header") else {"sortable": False}
    return {"header": header, "label": label, "css": css}
