"""Test settings: the production settings with a fast hasher, eager Celery, local mail.

The database is DATABASE_URL when set, else the PostgreSQL server on 127.0.0.1:5432
(user postgres) when it answers, else the embedded PostgreSQL.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from lvv.database import server_answers

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ.setdefault("LVV_REQUIRE_2FA", "false")
# The navigation's inbox count is counted on every page (tests/cases/test_inbox_nav_cache.py
# turns the keeping on).
os.environ.setdefault("INBOX_NAV_SECONDS", "0")
# Tests run tasks eagerly; the worker started by the worker tests gets its broker from
# LVV_TEST_WORKER_BROKER and writes e-mail to LVV_TEST_EMAIL_DIR.
os.environ.pop("CELERY_BROKER_URL", None)
os.environ.pop("CELERY_RESULT_BACKEND", None)
if os.environ.get("LVV_TEST_WORKER_BROKER"):
    os.environ["CELERY_BROKER_URL"] = os.environ["LVV_TEST_WORKER_BROKER"]
if not os.environ.get("DATABASE_URL") and server_answers("127.0.0.1", 5432):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/lvv"

from lvv.settings import *  # noqa: E402,F403
from lvv.settings import STORAGES  # noqa: E402

# The test database's flush empties every table with TRUNCATE, the access log too: the
# log's trigger allows that only where this setting is on (never in production).
# Added to the production options (``jit=off``: tests run the queries the pages run).
_test_db_options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
_test_db_options["options"] = f"{_test_db_options.get('options', '')} -c lvv.allow_log_truncate=on".strip()
# After each transactional test, a flush that deletes the rows instead of truncating the
# tables (tests/dbflush: milliseconds instead of about a second).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.dbflush"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if os.environ.get("LVV_TEST_EMAIL_DIR"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["LVV_TEST_EMAIL_DIR"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Case documents go to a temporary folder of this test process (one per xdist worker),
# removed at its end: tests never write into the checkout, nor to an S3 store.
DOCUMENTS_ROOT = Path(tempfile.mkdtemp(prefix=f"lvv-test-documents-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"))
atexit.register(shutil.rmtree, DOCUMENTS_ROOT, ignore_errors=True)
STORAGES["documents"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(DOCUMENTS_ROOT), "base_url": None},
}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Redis for the tests that need a real Celery worker.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# A worker started by a test may be slowed down between a job's steps (lvv.jobs), so that
# the test can stop it in the middle.
LVV_JOB_STEP_DELAY = float(os.environ.get("LVV_TEST_JOB_STEP_DELAY", "0"))
