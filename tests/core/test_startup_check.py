"""Start-up check: with DEBUG off and no static manifest, the application refuses to start
(with a message that says what to do) instead of answering 500 on every page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.test import override_settings

from lvv.runtime.checks import MANIFEST_MISSING, static_manifest_exists

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def write_manifest(static_root: Path) -> None:
    static_root.mkdir(parents=True, exist_ok=True)
    (static_root / "staticfiles.json").write_text(json.dumps({"paths": {}, "version": "1.1", "hash": "0"}))


def start_wsgi(static_root: Path) -> subprocess.CompletedProcess:
    """Load lvv.wsgi as gunicorn and runserver do, with production settings."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        DJANGO_SETTINGS_MODULE="lvv.settings",
        LVV_ENV_FILE=os.devnull,
        SECRET_KEY="s" * 60,
        ALLOWED_HOSTS="lvv.example.nl",
        DATABASE_URL="postgres://lvv@127.0.0.1:5432/lvv",  # never contacted here
        STATIC_ROOT=str(static_root),
    )
    return subprocess.run(
        [sys.executable, "-c", "import lvv.wsgi; print('started')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_server_refuses_to_start_without_the_manifest(tmp_path):
    result = start_wsgi(tmp_path / "staticfiles")
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "refuses to start" in result.stderr
    assert MANIFEST_MISSING in result.stderr and "collectstatic" in result.stderr


def test_the_server_starts_with_the_manifest(tmp_path):
    write_manifest(tmp_path / "staticfiles")
    result = start_wsgi(tmp_path / "staticfiles")
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_the_check_itself(tmp_path):
    with override_settings(DEBUG=False, STATIC_ROOT=tmp_path, STORAGES=MANIFEST_STORAGE):
        errors = static_manifest_exists()
        assert [e.id for e in errors] == [MANIFEST_MISSING]
        assert str(tmp_path / "staticfiles.json") in errors[0].msg
        write_manifest(tmp_path)
        assert static_manifest_exists() == []
    with override_settings(DEBUG=True, STATIC_ROOT=tmp_path / "empty", STORAGES=MANIFEST_STORAGE):
        assert static_manifest_exists() == []


def test_tests_and_debug_storage_are_not_affected():
    # lvv.settings_test swaps in the plain storage: nothing to check.
    assert static_manifest_exists() == []
