"""Give the application's database role exactly the rights it needs, after migrations.

In production two roles are used (ADR 0014): the owner role runs the migrations and owns the
tables; the application role (web, worker, beat) reads and writes case data, but may only
add rows to the access log and seal them into the hash chain: no UPDATE (except of the two
chain columns), DELETE or TRUNCATE. Run as the owner after every ``migrate``; idempotent.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

from lvv.audit.models import AccessLogEntry


class Command(BaseCommand):
    help = "Grant the application's database role its rights (run as the owner role after migrate)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the application's database role, e.g. lvv_app")

    def handle(self, *args, role, **options):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(f"There is no database role {role!r}.")
        log = sql.Identifier(AccessLogEntry._meta.db_table)
        who = sql.Identifier(role)
        statements = [
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(who),
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(who),
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(who),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(who),
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(log, who),
            sql.SQL("GRANT UPDATE (chain_seq, chain_hash) ON {} TO {}").format(log, who),
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.as_string(connection.connection))
        self.stdout.write(f"Rights granted to {role}: case data read and write; the access log append-only.")
