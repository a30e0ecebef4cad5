"""``{% table %}``: the frame every data table of the application shares.

A table scrolls sideways on its own on a narrow screen (a region labelled by its caption,
focusable so a keyboard user can scroll it too) and carries the NL Design System classes::

    {% table "meetings-caption" css="app-table--wrap" testid="meetings" rows_id="meeting-rows" %}
      {% translate "Vergaderingen" %}
    {% columns _("Datum") _("Plaats") %}
      {% list_th listing "status" _("Status") %}
    {% rows %}
      {% for meeting in meetings %}<tr class="utrecht-table__row">…</tr>{% endfor %}
    {% endtable %}

The caption, the header cells and the rows are the page's own; the markup around them is
``includes/table.html``, once for all tables. ``{% columns %}`` names the plain header cells
(``includes/list_th.html`` without sorting), in order; header cells with more to them (a sort
link, a class) follow as markup. ``css`` adds classes to the table, ``testid`` names the
table for tests and ``rows_id`` gives the body an id (a target for htmx).
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, Node, NodeList, Parser, Token, token_kwargs
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

OPTIONS = {"css", "testid", "rows_id"}


class TableNode(Node):
    def __init__(
        self,
        caption_id: FilterExpression,
        options: dict[str, FilterExpression],
        caption: NodeList,
        labels: list[FilterExpression],
        columns: NodeList,
        rows: NodeList,
    ):
        self.caption_id = caption_id
        self.options = options
        self.caption = caption
        self.labels = labels
        self.columns = columns
        self.rows = rows

    def render(self, context: Context) -> SafeString:
        frame = context.template.engine.get_template("includes/table.html")  # type: ignore[union-attr]
        values = {name: value.resolve(context) for name, value in self.options.items()}
        values.update(
            caption_id=self.caption_id.resolve(context),
            caption=mark_safe(self.caption.render(context).strip()),
            labels=[label.resolve(context) for label in self.labels],
            columns=self.columns.render(context),
            rows=self.rows.render(context),
        )
        return frame.render(context.new(values))


@register.tag("table")
def table(parser: Parser, token: Token) -> TableNode:
    """``{% table caption_id [css=… testid=… rows_id=…] %}caption{% columns label… %}…{% rows %}…{% endtable %}``."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% table %} needs the id of its caption.")
    options = token_kwargs(bits[2:], parser)
    if len(options) != len(bits) - 2 or not set(options) <= OPTIONS:
        raise template.TemplateSyntaxError("{% table %} takes only css=…, testid=… and rows_id=… after the caption id.")
    caption = parser.parse(("columns",))
    labels = [parser.compile_filter(bit) for bit in parser.next_token().split_contents()[1:]]
    columns = parser.parse(("rows",))
    parser.delete_first_token()
    rows = parser.parse(("endtable",))
    parser.delete_first_token()
    return TableNode(parser.compile_filter(bits[1]), options, caption, labels, columns, rows)
