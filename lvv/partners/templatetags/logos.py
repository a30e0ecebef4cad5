"""``{% logo_data_uri organisation as logo %}``: an organisation's logo embedded for a PDF
(WeasyPrint fetches nothing over the network; "" without a logo)."""

from __future__ import annotations

from django import template

from lvv.partners.logos import data_uri

register = template.Library()


@register.simple_tag
def logo_data_uri(organisation) -> str:
    return data_uri(organisation)
