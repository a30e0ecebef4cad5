"""``{% table %}``: the frame every data table of the application shares.

A table scrolls sideways on its own on a narrow screen (a region labelled by its caption,
focusable so a keyboard user can scroll it too) and carries the NL Design System classes::

    {% table "meetings-caption" listing=listing css="app-table--wrap" testid="meetings" %}
      {% translate "Vergaderingen" %}
    {% columns date=_("Datum") _("Plaats") %}
      <th scope="col" class="utrecht-table__header-cell app-cell--numeric">…</th>
    {% rows %}
      {% for meeting in meetings %}<tr class="utrecht-table__row">…</tr>{% endfor %}
    {% endtable %}

The caption, the header cells and the rows are the page's own; the markup around them is
``includes/table.html``, once for all tables. ``{% columns %}`` names the header cells in
order, each rendered by ``{% list_th %}``: ``key=label`` sorts on ``key`` when the table's
``listing`` does, a bare label is a plain header. Header cells with more to them follow as
markup. ``css`` adds classes to the table, ``testid`` names the table for tests and
``rows_id`` gives the body an id (a target for htmx).
"""

from __future__ import annotations

import re

from django import template
from django.template.base import FilterExpression, Node, NodeList, Parser, Token, token_kwargs
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

OPTIONS = {"listing", "css", "testid", "rows_id"}
KEYED = re.compile(r"^(\w+)=(.+)$")


class TableNode(Node):
    def __init__(
        self,
        caption_id: FilterExpression,
        options: dict[str, FilterExpression],
        caption: NodeList,
        headers: list[tuple[str | None, FilterExpression]],
        columns: NodeList,
        rows: NodeList,
    ):
        self.caption_id = caption_id
        self.options = options
        self.caption = caption
        self.headers = headers
        self.columns = columns
        self.rows = rows

    def render(self, context: Context) -> SafeString:
        frame = context.template.engine.get_template("includes/table.html")  # type: ignore[union-attr]
        values = {name: value.resolve(context) for name, value in self.options.items()}
        values.update(
            caption_id=self.caption_id.resolve(context),
            caption=mark_safe(self.caption.render(context).strip()),
            headers=[(key, label.resolve(context)) for key, label in self.headers],
            columns=self.columns.render(context),
            rows=self.rows.render(context),
        )
        return frame.render(context.new(values))


@register.tag("table")
def table(parser: Parser, token: Token) -> TableNode:
    """``{% table caption_id [option=…] %}caption{% columns [key=]label… %}…{% rows %}…{% endtable %}``."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% table %} needs the id of its caption.")
    options = token_kwargs(bits[2:], parser)
    if len(options) != len(bits) - 2 or not set(options) <= OPTIONS:
        raise template.TemplateSyntaxError(f"{{% table %}} takes only {sorted(OPTIONS)} after the caption id.")
    caption = parser.parse(("columns",))
    headers = [_header(parser, bit) for bit in parser.next_token().split_contents()[1:]]
    columns = parser.parse(("rows",))
    parser.delete_first_token()
    rows = parser.parse(("endtable",))
    parser.delete_first_token()
    return TableNode(parser.compile_filter(bits[1]), options, caption, headers, columns, rows)


def _header(parser: Parser, bit: str) -> tuple[str | None, FilterExpression]:
    """``key=label`` (a column the listing may sort on) or a bare ``label``."""
    keyed = KEYED.match(bit)
    if keyed:
        return keyed[1], parser.compile_filter(keyed[2])
    return None, parser.compile_filter(bit)
