#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

CONFIGURED_BY = ("DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "LVV_ENV_FILE")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lvv.settings")
    # A fresh checkout with no configuration at all (no .env, nothing set) is a developer's:
    # commands run as for a local run (DEBUG on, embedded PostgreSQL), as `make run` does.
    # Any deployment sets DEBUG or a secret (Compose sets both), so this never applies there.
    here = os.path.dirname(os.path.abspath(__file__))
    if not any(name in os.environ for name in CONFIGURED_BY) and not os.path.exists(os.path.join(here, ".env")):
        os.environ["DEBUG"] = "true"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
