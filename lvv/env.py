"""How the settings read the environment: the one helper, with secrets from files.

``Env`` is django-environ's ``Env`` reading from ``SecretAwareEnviron`` instead of
``os.environ``:

- ``VAR_FILE`` names a file whose contents stand in for ``VAR`` (Docker and Compose secrets
  are files under ``/run/secrets``): ``SECRET_KEY_FILE``, ``DATABASE_URL_FILE``,
  ``DATABASE_PASSWORD_FILE``, ``EMAIL_URL_FILE``, ``REDIS_PASSWORD_FILE`` and so on, for
  every variable. A final line break in the file is ignored; ``VAR_FILE`` wins over ``VAR``;
  a file that cannot be read stops the start with the variable's name.
- ``REDIS_PASSWORD`` (or ``REDIS_PASSWORD_FILE``) goes into the Redis URLs that carry no
  password of their own (``CELERY_BROKER_URL``, ``CELERY_RESULT_BACKEND``, ``CACHE_URL``),
  so that the password lives in one secret and the URLs stay plain configuration.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from environ.fileaware_mapping import FileAwareMapping

REDIS_URL_VARIABLES = frozenset({"CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL"})
REDIS_SCHEMES = frozenset({"redis", "rediss"})


def with_redis_password(url: str, password: str) -> str:
    """``url`` with ``password`` in it, when it is a Redis URL without one."""
    parts = urlsplit(url)
    if not password or parts.scheme not in REDIS_SCHEMES or parts.password is not None or not parts.hostname:
        return url
    user = quote(parts.username, safe="") if parts.username else ""
    netloc = f"{user}:{quote(password, safe='')}@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc))


class SecretAwareEnviron(FileAwareMapping):
    """``os.environ`` in which ``VAR_FILE`` stands in for ``VAR`` (see the module's docstring)."""

    def __getitem__(self, key: str) -> str:
        value = self._raw(key)
        if key in REDIS_URL_VARIABLES:
            try:
                password = self._raw("REDIS_PASSWORD")
            except KeyError:
                password = ""
            value = with_redis_password(value, password)
        return value

    def _raw(self, key: str) -> str:
        path = self.env.get(f"{key}_FILE")
        if not path:
            return self.env[key]
        if key not in self.files_cache:
            try:
                self.files_cache[key] = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise ImproperlyConfigured(f"{key}_FILE names {path}, which cannot be read: {exc.strerror}.") from exc
        return self.files_cache[key]


class Env(environ.Env):
    """django-environ's reader over ``SecretAwareEnviron``."""

    ENVIRON = SecretAwareEnviron(env=os.environ, cache=True)
