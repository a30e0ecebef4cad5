"""Every page of every demo role in a real browser (Debian Chromium via Playwright), at 375 px.

For each role of one LVV (Amsterdam), the programme bureau and the functional administrator:
log in through the login form, then follow the same-origin links breadth first from the start
page, one page of each kind (ids in the path and queries that do not make the page are left
out of the kind). On every page: no error status (a 403 or 404 reached by a link is a broken
link), axe (WCAG 2.1 A/AA, as in the other e2e tests) without violations, and no horizontal
scroll of the page at 375 px. Axe's colour contrast rule (half of axe's time) runs once per kind
of page, for the first role that reaches it: contrast comes from the style sheet and the
components, not from the role. Left out: logout, downloads and exports, the Django admin, the
API and the language switch; the crawl follows links (GET) only, so it changes nothing.

One test crawls every role in turn (the demo is seeded once; each role in a browser context of
its own); all failures are collected and reported together, each with the role and the URL.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

from lvv import demo
from tests.e2e.browser import AXE, AXE_OPTIONS, axe_violations
from tests.e2e.test_lists_flow import NARROW, PASSWORD, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PILOT = demo.PILOTS[0]  # Amsterdam: the other LVVs get their partners and accounts, no cases
# Every stage of a case once (cases.demo.STAGES), so that every kind of case page has an example.
CASES = 20
ROLES = [
    *(f"{role}.{PILOT.slug}" for role in ("casemanager", "lsochair", "ngo", "dtv", "ind", "privacy_officer")),
    "bureau",
    "admin",
]
# Pages per role at most; a role that reaches it fails, so that a new page is crawled, not dropped.
MAX_PAGES = 60
# Queries that make a page of their own (the waiting list is the case list with ?state=waiting);
# every other query (sort, page, filters) shows the same page with other rows.
PAGE_QUERIES = {"state"}
SKIPPED = re.compile(
    r"""^/(?:admin|api|i18n|static|media)/   # the Django admin, the API, the language switch, files
    | ^/accounts/logout/
    | /download/$ | \.(?:pdf|csv|xlsx|json|zip)$    # downloads
    | ^/privacy/subject-access/\d+/\w+/$          # the subject access request's files
    | ^/lso/\d+/pack/\d+/$                        # the agenda pack (a PDF)
    | ^/organisations/\d+/logo/                   # an image
    """,
    re.VERBOSE,
)
DOWNLOAD_QUERIES = {"export", "format"}


@pytest.fixture
def demo_data(transactional_db):
    demo.seed(password=PASSWORD, cases_per_location=CASES, pilots=(PILOT,))


def kind_of_page(path: str, query: str) -> str:
    """The page's kind: ids in the path replaced, only the queries that make a page kept."""
    kept = sorted((key, value) for key, value in parse_qsl(query) if key in PAGE_QUERIES)
    path = "/".join("<id>" if part.isdigit() else part for part in path.split("/"))
    return f"{path}?{urlencode(kept)}" if kept else path


def to_follow(href: str, origin: str) -> tuple[str, str] | None:
    """(URL without fragment, kind of page) of a link to crawl, or None for one to leave."""
    url = urlsplit(href)
    if f"{url.scheme}://{url.netloc}" != origin or SKIPPED.search(url.path):
        return None
    if any(key in DOWNLOAD_QUERIES for key, _ in parse_qsl(url.query)):
        return None
    return url._replace(fragment="").geturl(), kind_of_page(url.path, url.query)


def check_page(page: Page, *, contrast: bool = True) -> list[str]:
    """What is wrong with the page shown: axe violations and a page wider than the screen.
    ``contrast=False`` leaves out axe's colour contrast rule (half of axe's time)."""
    problems = []
    options = AXE_OPTIONS if contrast else {**AXE_OPTIONS, "rules": {"color-contrast": {"enabled": False}}}
    for violation in axe_violations(page, options).response["violations"]:
        targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"][:5])
        problems.append(f"axe {violation['id']} ({violation['impact']}): {violation['help']} – {targets}")
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
                .filter((el) => !el.parentElement.closest('.app-table-scroll'))
                .slice(0, 5)
                .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + [...el.classList].join('.') : ''))"""
        )
        problems.append(f"scrolls sideways at 375 px (page {width[0]} px wide; sticking out: {', '.join(wide)})")
    return problems


def crawl(page: Page, origin: str, username: str, contrast_checked: set[str]) -> tuple[list[str], list[str]]:
    """Visit every kind of page reachable by links from the start page; (pages, failures).
    Colour contrast is checked on the kinds of page not in ``contrast_checked`` (which get added):
    contrast comes from the style sheet and the components, the same for every role."""
    page.context.add_init_script(script=AXE.axe_script)  # axe in every page, without sending it each time
    start = f"{origin}/"
    queue = deque([(start, kind_of_page("/", ""))])
    seen = {kind_of_page("/", "")}
    visited: list[str] = []
    failures: list[str] = []
    while queue and len(visited) < MAX_PAGES:
        url, kind = queue.popleft()
        visited.append(url)
        try:
            response = page.goto(url)
        except PlaywrightError as error:  # a download the skip list does not know, or a broken page
            failures.append(f"{username} {url}: not a page ({error.message.splitlines()[0]})")
            continue
        if response is None or not response.ok:
            failures.append(f"{username} {url}: status {response.status if response else 'none'}")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            failures.append(f"{username} {url}: not HTML but {response.headers.get('content-type')}")
            continue
        if urlsplit(page.url).path == "/accounts/login/":
            failures.append(f"{username} {url}: sent to the login page")
            continue
        problems = check_page(page, contrast=kind not in contrast_checked)
        contrast_checked.add(kind)
        failures.extend(f"{username} {url}: {problem}" for problem in problems)
        hrefs = page.eval_on_selector_all("a[href]:not([download])", "links => links.map((a) => a.href)")
        for href in hrefs:
            link = to_follow(href, origin)
            if link and link[1] not in seen:
                seen.add(link[1])
                queue.append(link)
    if queue:
        left = [url for url, _ in list(queue)[:5]]
        failures.append(f"{username}: stopped at {MAX_PAGES} pages with {len(queue)} kinds of page left, e.g. {left}")
    return visited, failures


def test_every_page_of_every_role_at_375_px_is_accessible(
    demo_data, live_server, browser: Browser, browser_context_args
):
    """One test for all the roles: the demo is seeded once (the crawl only reads), each role
    in a browser context of its own (its own session)."""
    failures: list[str] = []
    contrast_checked: set[str] = set()
    for username in ROLES:
        context = browser.new_context(**{**browser_context_args, "viewport": NARROW})
        try:
            page = context.new_page()
            log_in(page, live_server.url, username)
            visited, found = crawl(page, live_server.url, username, contrast_checked)
        finally:
            context.close()
        if len(visited) <= 1:
            found.append(f"{username}: no link to follow on the start page")
        failures.extend(found)
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
