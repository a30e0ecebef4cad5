"""Production settings are safe: `check --deploy` is clean, DEBUG is off by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Collected static files, as production has them (only their manifest matters to the checks).
STATIC_ROOT = tempfile.TemporaryDirectory(prefix="lvv-static-")
(Path(STATIC_ROOT.name) / "staticfiles.json").write_text(json.dumps({"paths": {}, "version": "1.1", "hash": "0"}))


def run_manage(*args, **env):
    # Only what a production host would have: the test process's own overrides stay out.
    keep = ("PATH", "HOME", "LANG", "DATABASE_URL")
    clean = {k: v for k, v in os.environ.items() if k in keep}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def production_env():
    return {
        "DJANGO_SETTINGS_MODULE": "lvv.settings",
        "LVV_ENV_FILE": os.devnull,  # a developer's .env must not change what is checked
        "SECRET_KEY": "x" * 30 + "-production-like-secret-key-for-the-check-" + "y" * 20,
        "ALLOWED_HOSTS": "lvv.example.nl",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        "STATIC_ROOT": STATIC_ROOT.name,
    }


def test_check_deploy_is_clean():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = production_env()
    env["SECRET_KEY"] = ""
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG, settings.LVV_REQUIRE_2FA)",
        **production_env(),
    )
    assert result.stdout.strip().endswith("False True"), result.stderr


def test_a_fresh_checkout_runs_commands_as_a_local_run():
    """No .env and nothing configured: manage.py runs as for a local run (DEBUG on), so a
    newcomer's `manage.py makemigrations --check` works; a deployment always configures."""
    if (ROOT / ".env").exists():
        pytest.skip("this checkout has a .env file, which configures it")
    result = run_manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
