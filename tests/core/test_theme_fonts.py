"""The theme's fonts ship with the application (no fallback to a system serif), licensed."""

from __future__ import annotations

import re
from pathlib import Path

from django.template.loader import render_to_string

ROOT = Path(__file__).resolve().parents[2]
FONTS = ROOT / "static" / "vendor" / "fonts"


def test_every_font_the_css_names_is_shipped_with_its_licence():
    css = (FONTS / "fonts.css").read_text(encoding="utf-8")
    files = re.findall(r"url\(([\w.-]+)\)", css)
    assert files and all((FONTS / name).stat().st_size > 1000 for name in files)
    families = set(re.findall(r"font-family: '([^']+)'", css))
    theme = (ROOT / "static" / "vendor" / "voorbeeld-theme" / "theme.css").read_text(encoding="utf-8")
    assert families >= set(re.findall(r"font-family[^:]*: '([^']+)'", theme))
    assert "SIL Open Font License" in (FONTS / "OFL.txt").read_text(encoding="utf-8")


def test_every_page_loads_the_fonts_before_the_theme(rf):
    html = render_to_string("base.html", request=rf.get("/"))
    assert html.index("vendor/fonts/fonts.css") < html.index("voorbeeld-theme/theme.css")
