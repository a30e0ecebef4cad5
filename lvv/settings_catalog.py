"""Every environment variable, declared once: default, help text, section, example, scope.

The README's configuration table and ``.env.example`` are generated from these
declarations (``make settings-docs``, ``scripts/settings_docs.py``), and
``tests/core/test_settings_catalog.py`` fails when either drifts, when the code reads a
variable that is not declared here, or when a declared variable is read nowhere.

Texts are Markdown as the README shows them; ``.env.example`` gets them without the
backticks. ``compose`` says what Docker Compose gives a variable the application reads
(``docker-compose.yml``): ``always `value` `` (the ``.env`` cannot change it), a secret,
or another default. Any ``VAR`` can also come from a file named by ``VAR_FILE``
(``lvv/env.py``). This module imports nothing of Django: the script runs without settings.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from enum import Enum


class Scope(Enum):
    APP = "read by the application"  # settings, manage.py, make run, the image's health check
    COMPOSE = "Compose only"  # read by docker-compose.yml and the database's first start
    TESTS = "Tests only"  # read by the test settings, the test fixtures or make test


class Section(Enum):
    COMPOSE_REQUIRED = "Required for Docker Compose"
    SECRETS = "Secrets (outside Compose: as variables or as *_FILE)"
    DJANGO = "Django"
    TASKS = "Background tasks"
    EMAIL = "E-mail"
    LOGIN = "Login and sessions"
    FILES = "Files and documents"
    HTTPS = "HTTPS"
    LINKS = "Links, cache and API limits"
    PRIVACY = "Privacy"
    CASE_WORK = "Case work"
    COMPOSE_ONLY = "Docker Compose only"
    TESTS = "Tests only"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    section: Section
    example: str = ""
    scope: Scope = Scope.APP
    compose: str | None = None


S = Setting
SETTINGS: tuple[Setting, ...] = (
    # --- Required for Docker Compose ---------------------------------------------------
    S(
        "ALLOWED_HOSTS",
        "`127.0.0.1,localhost` with DEBUG, else empty",
        "Host names the site answers to, comma-separated (the image's health check uses the first).",
        Section.COMPOSE_REQUIRED,
        "cases.example.nl",
        compose="`localhost,127.0.0.1`",
    ),
    S(
        "LVV_SECRETS_DIR",
        "`./secrets`",
        "Folder with the secret files, one value per file: `secret_key`, `postgres_password`, "
        "`postgres_app_password`, `redis_password` and `email_url` (see `docker-compose.yml`).",
        Section.COMPOSE_REQUIRED,
        "./secrets",
        Scope.COMPOSE,
    ),
    # --- Secrets ------------------------------------------------------------------------
    S(
        "SECRET_KEY",
        "none",
        "Django's secret key: a long random string, e.g. from "
        '`python3 -c "import secrets; print(secrets.token_urlsafe(50))"`. Required when `DEBUG` is off '
        "(the start stops without it); with `DEBUG` on a fixed development key is used.",
        Section.SECRETS,
        compose="the `secret_key` secret (`SECRET_KEY_FILE`)",
    ),
    S(
        "DATABASE_PASSWORD",
        "empty",
        "The database password on its own (usually as `DATABASE_PASSWORD_FILE`); "
        "wins over a password in `DATABASE_URL`.",
        Section.SECRETS,
        compose="the `postgres_app_password` secret (`DATABASE_PASSWORD_FILE`; "
        "the `migrate` service: `postgres_password`)",
    ),
    S(
        "REDIS_PASSWORD",
        "empty",
        "Redis password (usually as `REDIS_PASSWORD_FILE`), added to `CELERY_BROKER_URL`, "
        "`CELERY_RESULT_BACKEND` and `CACHE_URL` when they are `redis://` URLs without one.",
        Section.SECRETS,
        compose="the `redis_password` secret (`REDIS_PASSWORD_FILE`)",
    ),
    # --- Django -------------------------------------------------------------------------
    S(
        "DEBUG",
        "`false`",
        "Django debug mode; never on in production. Also switches the defaults that mention DEBUG. "
        "`make run` sets `true`, and so does `manage.py` in a checkout without any configuration "
        "(no `.env`, none of `DEBUG`, `SECRET_KEY`, `SECRET_KEY_FILE` and `LVV_ENV_FILE` set).",
        Section.DJANGO,
        "false",
        compose="always `false`",
    ),
    S(
        "CSRF_TRUSTED_ORIGINS",
        "empty",
        "Extra origins (`https://host`) trusted for form posts, comma-separated, for when the "
        "browser's origin differs from the host Django sees.",
        Section.DJANGO,
        "https://cases.example.nl",
    ),
    S(
        "DATABASE_URL",
        "empty (embedded PostgreSQL in `.local/pgdata`, database `lvv`)",
        "PostgreSQL as a URL, `postgres://user:password@host:5432/name`; any other engine is refused.",
        Section.DJANGO,
        "postgres://lvv:secret@127.0.0.1:5432/lvv",
        compose="always `postgres://${LVV_APP_DB_USER:-lvv_app}@db:5432/${POSTGRES_DB:-lvv}` "
        "(the `migrate` service: the owner `POSTGRES_USER`)",
    ),
    S(
        "DB_CONN_MAX_AGE",
        "`60`",
        "Seconds a database connection is kept open (with health checks).",
        Section.DJANGO,
        "60",
    ),
    S(
        "TIME_ZONE",
        "`Europe/Amsterdam`",
        "Time zone of the application and of Celery (the hours of the nightly jobs).",
        Section.DJANGO,
        "Europe/Amsterdam",
    ),
    S("LOG_LEVEL", "`INFO`", "Level of the console log.", Section.DJANGO, "INFO"),
    S(
        "LVV_ENV_FILE",
        "`.env` in the project root",
        "File whose variables fill in what the environment does not set; a missing file is "
        "skipped. Set it in the environment itself: a line in the file cannot name another file.",
        Section.DJANGO,
        "/etc/lvv/lvv.env",
    ),
    S(
        "LVV_RUN_ADDRESS",
        "`127.0.0.1:8000`",
        "`make run` only: address and port of the development server.",
        Section.DJANGO,
        "127.0.0.1:8000",
    ),
    # --- Background tasks ---------------------------------------------------------------
    S(
        "CELERY_BROKER_URL",
        "empty (tasks run in-process)",
        "Broker for the Celery worker, e.g. `redis://127.0.0.1:6379/0`.",
        Section.TASKS,
        "redis://127.0.0.1:6379/0",
        compose="always `redis://redis:6379/0`",
    ),
    S(
        "CELERY_RESULT_BACKEND",
        "`CELERY_BROKER_URL` (none when tasks run in-process)",
        "Where Celery keeps task results.",
        Section.TASKS,
        "redis://127.0.0.1:6379/1",
        compose="always `redis://redis:6379/1`",
    ),
    S(
        "CELERY_VISIBILITY_TIMEOUT",
        "`1800`",
        "Seconds after which Redis gives a message that a worker took but never acknowledged "
        "(a worker killed as a whole) to another worker. Keep it above the longest time a task "
        "holds a message: a job's hard time limit (600) plus the longest retry countdown (600).",
        Section.TASKS,
        "1800",
    ),
    S(
        "LVV_JOB_HEARTBEAT_SECONDS",
        "`15`",
        "How often a running background job (export, agenda pack) writes its heartbeat.",
        Section.TASKS,
        "15",
    ),
    S(
        "LVV_JOB_STALE_SECONDS",
        "`120`",
        "A running job without a heartbeat for this long is taken as lost: queued again once, then failed.",
        Section.TASKS,
        "120",
    ),
    S(
        "LVV_JOB_QUEUE_SECONDS",
        "`1800`",
        "A job still waiting in the queue after this long is sent again (its message was lost).",
        Section.TASKS,
        "1800",
    ),
    # --- E-mail -------------------------------------------------------------------------
    S(
        "EMAIL_URL",
        "`consolemail://` (mail printed to the console)",
        "Mail server as a URL, e.g. `smtp+tls://user:pass@mail.example.nl:587` or `smtp+ssl://...:465`.",
        Section.EMAIL,
        "smtp+tls://user:password@mail.example.nl:587",
        compose="the `email_url` secret (`EMAIL_URL_FILE`)",
    ),
    S(
        "DEFAULT_FROM_EMAIL",
        "`LVV Casussysteem <noreply@lvv.example>`",
        "Sender of outgoing mail (also used as `SERVER_EMAIL`).",
        Section.EMAIL,
        "LVV Casussysteem <noreply@cases.example.nl>",
    ),
    # --- Login and sessions -------------------------------------------------------------
    S(
        "LVV_REQUIRE_2FA",
        "on unless DEBUG",
        "Require TOTP two-factor login for browser sessions: a signed-in user who has not passed "
        "it is sent to enrol or verify.",
        Section.LOGIN,
        "true",
        compose="`true`",
    ),
    S(
        "OTP_TOTP_ISSUER",
        "`LVV Casussysteem`",
        "Name shown in the authenticator app.",
        Section.LOGIN,
        "LVV Casussysteem",
    ),
    S(
        "SESSION_IDLE_MINUTES",
        "`30`",
        "A session ends after this many minutes without a request (and when the browser closes).",
        Section.LOGIN,
        "30",
    ),
    S(
        "LOGIN_FAILURE_LIMIT",
        "`5`",
        "Failed logins for one username from one address before a lockout of that username on that address.",
        Section.LOGIN,
        "5",
    ),
    S(
        "LOGIN_ACCOUNT_FAILURE_LIMIT",
        "`20`",
        "Failed logins for one username from all addresses together before a lockout of the account everywhere.",
        Section.LOGIN,
        "20",
    ),
    S(
        "LOGIN_LOCKOUT_MINUTES",
        "`15`",
        "Length of a lockout, counted from the last failure before it (attempts during a lockout "
        "do not extend it). The user gets an e-mail with the time it ends and a link to choose a "
        "new password, which ends it at once.",
        Section.LOGIN,
        "15",
    ),
    S(
        "TRUSTED_PROXY_COUNT",
        "`0`",
        "Number of reverse proxies in front that append to `X-Forwarded-For`. `0`: the client "
        "address is `REMOTE_ADDR`; `1`: the address the proxy saw. Used by the login lockout and "
        "the access log.",
        Section.LOGIN,
        "1",
        compose="`1`",
    ),
    # --- Files and documents ------------------------------------------------------------
    S(
        "STATIC_ROOT",
        "`.local/staticfiles`",
        "Where `collectstatic` puts the static files. With `DEBUG` off the start stops when its "
        "manifest (`staticfiles.json`) is missing.",
        Section.FILES,
        "/srv/lvv/staticfiles",
        compose="always `/app/staticfiles` (collected into the image)",
    ),
    S(
        "MEDIA_ROOT",
        "`.local/media`",
        "Uploaded and generated files.",
        Section.FILES,
        "/srv/lvv/media",
        compose="always `/data/media` (the `media` volume)",
    ),
    S(
        "DOCUMENTS_ROOT",
        "`.local/documents`",
        "Folder of the case documents when `DOCUMENTS_S3_BUCKET` is not set. Documents are never "
        "served as static or media files: one view checks access, logs and streams each download.",
        Section.FILES,
        "/srv/lvv/documents",
        compose="always `/data/documents` (the `documents` volume)",
    ),
    S(
        "DOCUMENTS_S3_BUCKET",
        "empty (documents in `DOCUMENTS_ROOT`)",
        "An S3-compatible bucket (django-storages) for the case documents instead of the folder. "
        "Objects stay private (the bucket's policy decides); no signed URLs are handed out.",
        Section.FILES,
        "lvv-documenten",
    ),
    S(
        "DOCUMENTS_S3_ENDPOINT_URL",
        "empty (Amazon S3)",
        "Address of the object store, for S3-compatible stores other than Amazon's.",
        Section.FILES,
        "https://s3.example.nl",
    ),
    S("DOCUMENTS_S3_REGION", "empty (boto3's own)", "Region of the bucket.", Section.FILES, "nl-ams"),
    S(
        "DOCUMENTS_S3_ACCESS_KEY_ID",
        "empty (boto3's own: an instance role, the `AWS_*` variables)",
        "Access key of the bucket.",
        Section.FILES,
    ),
    S(
        "DOCUMENTS_S3_SECRET_ACCESS_KEY",
        "empty (boto3's own: an instance role, the `AWS_*` variables)",
        "Secret key of the bucket, best given as a file: "
        "`DOCUMENTS_S3_SECRET_ACCESS_KEY_FILE=/run/secrets/documents_s3_secret`.",
        Section.FILES,
    ),
    S(
        "DOCUMENTS_S3_PREFIX",
        "empty (the bucket's root)",
        "Key prefix of the documents inside the bucket.",
        Section.FILES,
        "documenten/",
    ),
    S(
        "DOCUMENTS_S3_ADDRESSING_STYLE",
        "empty (boto3's own)",
        "`path` for stores that do not serve bucket names as host names (MinIO and the like).",
        Section.FILES,
        "path",
    ),
    S(
        "DOCUMENT_MAX_BYTES",
        "`26214400` (25 MiB)",
        "Largest case document accepted, in bytes; larger uploads are refused.",
        Section.FILES,
        "26214400",
    ),
    # --- HTTPS --------------------------------------------------------------------------
    S(
        "SECURE_SSL_REDIRECT",
        "on unless DEBUG",
        "Redirect http to https (except `/healthz`). Off when a proxy in front does the redirect.",
        Section.HTTPS,
        "false",
        compose="`false`",
    ),
    S(
        "BEHIND_TLS_PROXY",
        "`false`",
        "Treat a request with `X-Forwarded-Proto: https` as secure. Set `true` only behind a "
        "proxy that overwrites that header.",
        Section.HTTPS,
        "true",
        compose="`true`",
    ),
    S(
        "SECURE_HSTS_SECONDS",
        "`0` with DEBUG, else `31536000`",
        "HSTS max-age (subdomains included).",
        Section.HTTPS,
        "31536000",
    ),
    S(
        "SECURE_HSTS_PRELOAD",
        "`false`",
        "Add `preload` to the HSTS header; only after submitting the domain to the browsers' "
        "preload list (not quickly undone).",
        Section.HTTPS,
        "false",
    ),
    # --- Links, cache and API limits ----------------------------------------------------
    S(
        "LVV_SITE_URL",
        "`http://127.0.0.1:8000` with DEBUG, else empty",
        "Address of the site, for links in e-mail (the daily digest, meeting notices, the "
        "lockout e-mail). Empty: the digest and the notices carry no links, the lockout e-mail "
        "takes the address of the request.",
        Section.LINKS,
        "https://cases.example.nl",
    ),
    S(
        "CACHE_URL",
        "`locmemcache://`",
        "Django cache (API rate limits, one e-mail per lockout), e.g. `redis://127.0.0.1:6379/2`; "
        "the default is per process.",
        Section.LINKS,
        "redis://127.0.0.1:6379/2",
        compose="always `redis://redis:6379/2`",
    ),
    S(
        "INBOX_NAV_SECONDS",
        "`30`",
        "How long the navigation's inbox count may be kept per user (in `CACHE_URL`): another "
        "user's change shows in the badge within this time, the user's own at once, the inbox "
        "page itself always counts anew. `0`: counted on every page.",
        Section.LINKS,
        "30",
    ),
    S(
        "API_TOKEN_HOURS",
        "`8`",
        "Lifetime of an API token; tokens are never renewed.",
        Section.LINKS,
        "8",
    ),
    S(
        "API_THROTTLE_ANON",
        "`60/hour`",
        "API rate limit per address for requests without a login (a number per `second`, `minute`, `hour` or `day`).",
        Section.LINKS,
        "60/hour",
    ),
    S("API_THROTTLE_USER", "`5000/hour`", "API rate limit per user.", Section.LINKS, "5000/hour"),
    # --- Privacy ------------------------------------------------------------------------
    S(
        "PSEUDONYM_KEY",
        "derived from `SECRET_KEY`",
        "Key of the person pseudonyms in the processing-log export. Set it once and keep it "
        "(changing it, or `SECRET_KEY` without it, changes the pseudonyms); a secret, best given "
        "as `PSEUDONYM_KEY_FILE`.",
        Section.PRIVACY,
    ),
    # --- Case work ----------------------------------------------------------------------
    S(
        "LVV_DECISION_DUE_DAYS",
        "`180`",
        "Days a decision on an application (a procedure) may be awaited before the case page shows it "
        "as overdue and the IND's inbox gives it as due.",
        Section.CASE_WORK,
        "180",
    ),
    # --- Docker Compose only ------------------------------------------------------------
    S("POSTGRES_DB", "`lvv`", "Database name of the `db` service.", Section.COMPOSE_ONLY, "lvv", Scope.COMPOSE),
    S(
        "POSTGRES_USER",
        "`lvv`",
        "The database's owner role, which runs the migrations (the `migrate` service).",
        Section.COMPOSE_ONLY,
        "lvv",
        Scope.COMPOSE,
    ),
    S(
        "LVV_APP_DB_USER",
        "`lvv_app`",
        "The application's database role (web, worker, beat): reads and writes case data, can "
        "only add to the access log. Created when the database volume is first initialised.",
        Section.COMPOSE_ONLY,
        "lvv_app",
        Scope.COMPOSE,
    ),
    S(
        "LVV_IMAGE",
        "`lvv-cases:latest`",
        "Name of the application image.",
        Section.COMPOSE_ONLY,
        "lvv-cases:latest",
        Scope.COMPOSE,
    ),
    S("WEB_CONCURRENCY", "`3`", "Gunicorn worker processes.", Section.COMPOSE_ONLY, "3", Scope.COMPOSE),
    S(
        "GUNICORN_TIMEOUT",
        "`60`",
        "Gunicorn request timeout in seconds.",
        Section.COMPOSE_ONLY,
        "60",
        Scope.COMPOSE,
    ),
    S(
        "LVV_BIND_ADDRESS",
        "`127.0.0.1`",
        "Host address the web port is published on: keep `127.0.0.1` behind a proxy on the same "
        "machine; `0.0.0.0` only when a firewall keeps everyone but the proxy away.",
        Section.COMPOSE_ONLY,
        "127.0.0.1",
        Scope.COMPOSE,
    ),
    S("LVV_PORT", "`8000`", "Host port of the web service.", Section.COMPOSE_ONLY, "8000", Scope.COMPOSE),
    S(
        "LVV_HEALTHCHECK_PORT",
        "`8000`",
        "The image's health check (`docker/healthcheck.py`): the port gunicorn listens on inside the container.",
        Section.COMPOSE_ONLY,
        "8000",
    ),
    # --- Tests only ---------------------------------------------------------------------
    S(
        "TEST_REDIS_URL",
        "`redis://127.0.0.1:6379/15`",
        "The Redis server for the worker tests (skipped, with the reason, when none answers).",
        Section.TESTS,
        "redis://127.0.0.1:6379/15",
        Scope.TESTS,
    ),
    S(
        "TEST_WORKERS",
        "`auto`",
        "`make test`: pytest-xdist processes (one per core); `0` runs the suite in one process.",
        Section.TESTS,
        "0",
        Scope.TESTS,
    ),
    S(
        "LVV_TEST_JOB_STEP_DELAY",
        "`0`",
        "Seconds a worker started by a test pauses between a job's steps, so that the test can kill it halfway.",
        Section.TESTS,
        "1.5",
        Scope.TESTS,
    ),
    S(
        "LVV_TEST_WORKER_BROKER",
        "empty",
        "Set by the worker fixture (`tests/celery_worker.py`) for the worker it starts: its broker.",
        Section.TESTS,
        "redis://127.0.0.1:6379/15",
        Scope.TESTS,
    ),
    S(
        "LVV_TEST_EMAIL_DIR",
        "empty",
        "Set by the worker fixture for the worker it starts: the folder it writes its e-mail to.",
        Section.TESTS,
        "/srv/lvv/test-mail",
        Scope.TESTS,
    ),
)
del S

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}

# Read by the code but set by other programs, not configuration.
NOT_CONFIGURATION = frozenset({"PYTEST_XDIST_WORKER", "DJANGO_SETTINGS_MODULE"})

README_START = "<!-- settings:start -->"
README_END = "<!-- settings:end -->"

ENV_EXAMPLE_HEADER = """\
# Example configuration. For Docker Compose: copy to .env next to docker-compose.yml and
# set at least ALLOWED_HOSTS; the secrets are files in ./secrets (see the README).
# The settings also read .env on a local run (variables already in the environment win),
# so every line is commented out: uncomment only what you need. Never commit .env.
# Every variable can also come from a file: VAR_FILE=/path names a file whose contents
# are used for VAR (and win over VAR), e.g. SECRET_KEY_FILE=/run/secrets/secret_key.
# Generated from lvv/settings_catalog.py by "make settings-docs": edit it there.
"""
ENV_WIDTH = 92


def plain(text: str) -> str:
    """Markdown text as a comment line says it: without the code marks."""
    return text.replace("`", "")


def default_text(setting: Setting) -> str:
    """The default as the README's table shows it, with Compose's value where it differs."""
    if setting.compose:
        return f"{setting.default}; Compose: {setting.compose}"
    return setting.default


def meaning_text(setting: Setting) -> str:
    """The help text, after "Compose only:" or "Tests only:" for those scopes."""
    text = setting.help
    if setting.scope is Scope.APP:
        return text
    if not text[:2].isupper():
        text = text[0].lower() + text[1:]
    return f"{setting.scope.value}: {text}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def readme_table() -> str:
    """The README's configuration table (the lines between the markers)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        lines.append(f"| `{setting.name}` | {_cell(default_text(setting))} | {_cell(meaning_text(setting))} |")
    return "\n".join(lines) + "\n"


def readme_with_table(readme: str) -> str:
    """``readme`` with the table between its markers replaced by the generated one."""
    pattern = re.compile(re.escape(README_START) + r"\n.*?" + re.escape(README_END), re.DOTALL)
    if len(pattern.findall(readme)) != 1:
        raise ValueError(f"README.md needs one {README_START} ... {README_END} block.")
    return pattern.sub(lambda _: f"{README_START}\n{readme_table()}{README_END}", readme)


def _comment(text: str) -> list[str]:
    """Markdown ``text`` as comment lines; a code span is never split over two lines."""
    unbroken = re.sub(r"`[^`]*`", lambda span: span[0].replace(" ", "\x00"), text)
    lines = textwrap.wrap(
        plain(unbroken), width=ENV_WIDTH, initial_indent="# ", subsequent_indent="# ",
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip
    return [line.replace("\x00", " ") for line in lines]


def env_example() -> str:
    """The whole of ``.env.example``: every variable commented out, section by section."""
    lines = ENV_EXAMPLE_HEADER.splitlines()
    for section in Section:
        settings = [setting for setting in SETTINGS if setting.section is section]
        if not settings:
            continue
        lines += ["", f"# --- {section.value} ".ljust(ENV_WIDTH, "-")]
        for setting in settings:
            lines += _comment(f"{setting.help} Default: {default_text(setting)}.")
            lines.append(f"# {setting.name}={setting.example}")
    return "\n".join(lines) + "\n"
