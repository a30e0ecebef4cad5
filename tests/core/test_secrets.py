"""Secrets from files: VAR_FILE stands in for VAR in every setting (Compose secrets), and the
Redis password goes into the Redis URLs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from lvv.env import SecretAwareEnviron, with_redis_password

ROOT = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "secret_key": settings.SECRET_KEY,
    "db": [db["USER"], db["PASSWORD"], db["HOST"], db["NAME"]],
    "email": [settings.EMAIL_HOST, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD],
    "broker": settings.CELERY_BROKER_URL,
    "backend": settings.CELERY_RESULT_BACKEND,
    "cache": settings.CACHES["default"]["LOCATION"],
    "token_hours": settings.REST_KNOX["TOKEN_TTL"].total_seconds() / 3600,
}))
"""


def secret(tmp_path: Path, name: str, value: str) -> str:
    path = tmp_path / name
    path.write_text(value + "\n")  # as `echo value > file` writes it
    return str(path)


def settings_with(**env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean.update(DJANGO_SETTINGS_MODULE="lvv.settings", LVV_ENV_FILE=os.devnull, ALLOWED_HOSTS="lvv.example.nl")
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_read_their_secrets_from_files(tmp_path):
    values = settings_with(
        SECRET_KEY_FILE=secret(tmp_path, "secret_key", "k" * 50),
        DATABASE_URL="postgres://lvv@db:5432/lvv",
        DATABASE_PASSWORD_FILE=secret(tmp_path, "postgres_password", "pg-pass"),
        EMAIL_URL_FILE=secret(tmp_path, "email_url", "smtp+tls://mailer:mail-pass@mail.example.nl:587"),
        CELERY_BROKER_URL="redis://redis:6379/0",
        CELERY_RESULT_BACKEND="redis://redis:6379/1",
        CACHE_URL="redis://redis:6379/2",
        REDIS_PASSWORD_FILE=secret(tmp_path, "redis_password", "r3dis/p@ss"),
        API_TOKEN_HOURS="2",
    )
    assert values["secret_key"] == "k" * 50
    assert values["db"] == ["lvv", "pg-pass", "db", "lvv"]
    assert values["email"] == ["mail.example.nl", "mailer", "mail-pass"]
    assert values["broker"] == "redis://:r3dis%2Fp%40ss@redis:6379/0"
    assert values["backend"] == "redis://:r3dis%2Fp%40ss@redis:6379/1"
    assert values["cache"] == "redis://:r3dis%2Fp%40ss@redis:6379/2"
    assert values["token_hours"] == 2


def test_a_whole_url_can_be_a_secret_and_the_file_wins(tmp_path):
    values = settings_with(
        SECRET_KEY="from-the-environment-" + "x" * 40,
        SECRET_KEY_FILE=secret(tmp_path, "secret_key", "from-the-file-" + "y" * 40),
        DATABASE_URL_FILE=secret(tmp_path, "database_url", "postgres://app:url-pass@db.example.nl:5432/cases"),
    )
    assert values["secret_key"] == "from-the-file-" + "y" * 40
    assert values["db"] == ["app", "url-pass", "db.example.nl", "cases"]
    assert values["token_hours"] == 8  # the default lifetime


def test_an_unreadable_secret_file_stops_the_start_with_its_name(tmp_path):
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean.update(
        DJANGO_SETTINGS_MODULE="lvv.settings",
        LVV_ENV_FILE=os.devnull,
        SECRET_KEY_FILE=str(tmp_path / "missing"),
        DATABASE_URL="postgres://lvv@db:5432/lvv",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY_FILE names" in result.stderr and "missing" in result.stderr


def test_the_mapping(tmp_path):
    environ = SecretAwareEnviron(
        env={
            "A_FILE": secret(tmp_path, "a", "from file"),
            "A": "from env",
            "B": "plain",
            "CELERY_BROKER_URL": "redis://redis:6379/0",
            "CACHE_URL": "redis://user:own@redis:6379/2",
            "CELERY_RESULT_BACKEND": "django-db",
            "REDIS_PASSWORD": "pw",
        }
    )
    assert environ["A"] == "from file" and environ["B"] == "plain"
    assert environ["CELERY_BROKER_URL"] == "redis://:pw@redis:6379/0"
    assert environ["CACHE_URL"] == "redis://user:own@redis:6379/2"  # its own password stays
    assert environ["CELERY_RESULT_BACKEND"] == "django-db"
    with pytest.raises(KeyError):
        environ["C"]
    broken = SecretAwareEnviron(env={"C_FILE": str(tmp_path / "nothing")})
    with pytest.raises(ImproperlyConfigured, match="C_FILE"):
        broken["C"]


def test_with_redis_password():
    assert with_redis_password("rediss://cache.example.nl:6380/0", "a b") == "rediss://:a%20b@cache.example.nl:6380/0"
    assert with_redis_password("redis://redis:6379/0", "") == "redis://redis:6379/0"
    assert with_redis_password("memory://", "pw") == "memory://"
