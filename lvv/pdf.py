"""HTML to PDF with WeasyPrint, never over the network: the URL fetcher serves ``data:`` URIs
(embedded images, server-drawn charts) and refuses everything else, with a short timeout and
no redirects. Every PDF of the project (the agenda pack, the minutes, the monitor's report,
the subject-access file) is made here."""

from __future__ import annotations


class RefusedFetch(ValueError):
    """WeasyPrint asked for a URL that is not a ``data:`` URI."""


def data_only_fetcher():
    """A WeasyPrint URL fetcher that serves ``data:`` URIs and refuses everything else; the
    URLs it refused are in its ``refused``."""
    from weasyprint.urls import URLFetcher  # WeasyPrint loads its libraries on import: only when a PDF is made

    class DataOnlyFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if not url.startswith("data:"):
                self.refused.append(url)
                raise RefusedFetch(f"refused to fetch {url!r}: only data: URIs are allowed")
            return super().fetch(url, headers)

    return DataOnlyFetcher()


def html_to_pdf(html: str, *, fetcher=None) -> bytes:
    """The PDF of ``html`` (no network; ``fetcher``: another fetcher that refuses as this one does)."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=fetcher or data_only_fetcher(), base_url=None).write_pdf()
