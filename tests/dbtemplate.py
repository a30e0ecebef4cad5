"""The test database, copied from a migrated template instead of migrated again.

Migrating an empty database takes 10 to 20 seconds on two cores (Django renders the model state
of 72 migrations), and every pytest-xdist worker did it for its own database. PostgreSQL copies
a database in well under a second (``CREATE DATABASE ... TEMPLATE``). So:

- the template is named after a fingerprint of everything that shapes the schema: every
  migration file of the project, the settings and the lock file (the versions of Django and
  of the apps with migrations of their own). A change to any of them gives a new name, so a
  template is never out of date; older ones are dropped;
- under an advisory lock, the first process that finds no template migrates its own test
  database as Django does and copies it as the template; every other process (another worker,
  a later run) copies the template and lets Django's ``migrate`` confirm that nothing is left
  to apply;
- the test databases are dropped at the end as before; the template stays for the next run.

``tests/conftest.py`` uses it for ``django_db_setup``. ADR 0032 has the reasons.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from django.db import OperationalError, connection
from django.test.utils import setup_databases

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "lvv_test_template_"
LOCK = 0x4C5656  # "LVV": the advisory lock that lets one process build the template
SHAPES_THE_SCHEMA = ("*/migrations/*.py", "lvv/*/migrations/*.py", "lvv/settings*.py", "requirements-dev.lock")


def fingerprint() -> str:
    digest = hashlib.sha256()
    for pattern in SHAPES_THE_SCHEMA:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _copy(cursor, source: str, target: str) -> None:
    """CREATE DATABASE target TEMPLATE source; the source's last session may take a moment to go."""
    for attempt in range(50):
        try:
            cursor.execute(f"CREATE DATABASE {_quoted(target)} TEMPLATE {_quoted(source)}")
            return
        except OperationalError as error:  # "source database ... is being accessed by other users"
            if "being accessed" not in str(error) or attempt == 49:
                raise
            time.sleep(0.1)


def setup_test_databases(verbosity: int, **databases):
    """What ``django.test.utils.setup_databases`` returns (``databases``: its ``aliases`` and
    ``serialized_aliases``, as pytest-django passes them)."""
    template = PREFIX + fingerprint()
    test_name = connection.creation._get_test_db_name()
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK])
        try:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            if cursor.fetchone():
                cursor.execute(f"DROP DATABASE IF EXISTS {_quoted(test_name)}")
                _copy(cursor, template, test_name)
                return setup_databases(verbosity=verbosity, interactive=False, keepdb=True, **databases)
            config = setup_databases(verbosity=verbosity, interactive=False, **databases)
            connection.close()
            _copy(cursor, test_name, template)
            _drop_older_templates(cursor, keep=template)
            return config
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK])


def _drop_older_templates(cursor, *, keep: str) -> None:
    cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s", [PREFIX + "%", keep])
    for (name,) in cursor.fetchall():
        try:
            cursor.execute(f"DROP DATABASE IF EXISTS {_quoted(name)}")
        except OperationalError:  # being copied by another run right now: the next run drops it
            pass
