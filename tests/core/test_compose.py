"""docker-compose.yml cannot run here (no Docker engine); these checks keep it consistent:
two database roles, every secret declared, the documents on a volume."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]


def test_migrations_run_as_the_owner_and_grant_the_application_role():
    migrate = SERVICES["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://${POSTGRES_USER")
    assert migrate["environment"]["DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert "grant_app_role" in " ".join(migrate["command"])
    for name in ("web", "worker", "beat"):
        environment = SERVICES[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://${LVV_APP_DB_USER"), name
        assert environment["DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_app_password", name
        assert "postgres_password" not in SERVICES[name]["secrets"], name


def test_the_database_creates_the_application_role_on_first_start():
    db = SERVICES["db"]
    assert "./docker/db-init:/docker-entrypoint-initdb.d:ro" in db["volumes"]
    assert "postgres_app_password" in db["secrets"]
    script = (ROOT / "docker" / "db-init" / "10-app-role.sh").read_text(encoding="utf-8")
    assert "CREATE ROLE" in script and "NOSUPERUSER" in script


def test_every_secret_used_is_declared():
    used = {secret for service in SERVICES.values() for secret in service.get("secrets", [])}
    assert used <= set(COMPOSE["secrets"])
