"""A small reader of rendered pages for tests: the parts of a page chosen by an attribute,
with their attributes, their markup and their text (the standard library's parser)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Part:
    tag: str
    attrs: dict[str, str | None]
    html: str = ""
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts).split())

    def has(self, name: str) -> bool:
        return name in self.attrs

    def parts(self, **match: str) -> list[Part]:
        return find_all(self.html, **match)

    def part(self, **match: str) -> Part:
        return find(self.html, **match)


class _Finder(HTMLParser):
    def __init__(self, match: dict[str, str | None], html: str):
        super().__init__(convert_charrefs=True)
        self.match = match
        self.source = html
        self.found: list[Part] = []
        self.open: list[tuple[Part, int, int]] = []  # (part, depth, start offset)
        self.depth = 0
        self.line_starts = [0]
        for line in html.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _matches(self, tag: str, attrs: dict) -> bool:
        for key, value in self.match.items():
            if key == "tag":
                if tag != value:
                    return False
            elif key not in attrs or (value is not None and attrs[key] != value):
                return False
        return True

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in VOID:
            if self._matches(tag, attributes):
                self.found.append(Part(tag, attributes, self.get_starttag_text() or ""))
            return
        self.depth += 1
        if self._matches(tag, attributes):
            part = Part(tag, attributes)
            self.found.append(part)
            self.open.append((part, self.depth, self._offset()))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.open and self.open[-1][1] >= self.depth:
            part, _depth, start = self.open.pop()
            end = self._offset() + len(f"</{tag}>")
            part.html = self.source[start:end]
        self.depth -= 1

    def handle_data(self, data):
        for part, _depth, _start in self.open:
            part.text_parts.append(data)


def find_all(html: str, **match: str | None) -> list[Part]:
    """Every element with the attributes given (``tag=`` for the element's name; an
    attribute given as None only has to be present; ``data_testid`` for ``data-testid``)."""
    wanted = {key.replace("_", "-") if key != "tag" else key: value for key, value in match.items()}
    finder = _Finder(wanted, html)
    finder.feed(html)
    finder.close()
    return finder.found


def find(html: str, **match: str | None) -> Part:
    found = find_all(html, **match)
    assert len(found) == 1, f"{len(found)} elements match {match}"
    return found[0]
