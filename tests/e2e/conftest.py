from __future__ import annotations

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(pytestconfig):
    """Debian's Chromium, never a downloaded browser.

    pytest-playwright's ``browser`` fixture is session scoped, so this override must be too;
    the one in tests/conftest.py is function scoped and fails with a ScopeMismatch.
    """
    args = {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
    if pytestconfig.getoption("--headed"):
        args["headless"] = False
        args["args"] = [arg for arg in CHROMIUM_ARGS if arg != "--headless"]
    if pytestconfig.getoption("--slowmo"):
        args["slow_mo"] = pytestconfig.getoption("--slowmo")
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A Dutch browser, like the case managers' (Playwright defaults to en-US)."""
    return {
        **browser_context_args,
        "locale": "nl-NL",
        "timezone_id": "Europe/Amsterdam",
        "viewport": {"width": 1280, "height": 800},
    }
