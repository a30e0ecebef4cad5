"""``flush`` for the test database: DELETE where Django's TRUNCATEs.

After each transactional test (the browser and worker tests) the test database is
flushed. Django's flush truncates every table at once: each of the ~70 tables and their
indexes get new files, about a second a flush. After a test the tables hold a few rows,
and DELETE empties them in milliseconds. Triggers are off for the transaction
(``session_replication_role = replica``): the foreign keys need no order when every row
goes, and the append-only guards of the access log and the notes stand down as they do
for the TRUNCATE the test settings allow. Content types and permissions stay (the
post-migrate signal would make the same rows again, with other ids).

Only with the test settings (``tests.dbflush`` is installed there alone), only as the
test case calls it (no sequence reset, not interactive) and only for a superuser (the
role setting needs one); otherwise Django's own flush.
"""

from __future__ import annotations

from django.core.management.commands import flush
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, transaction

KEPT = {"django_content_type", "auth_permission"}


def _superuser(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


class Command(flush.Command):
    def handle(self, **options):
        database = options["database"]
        connection = connections[database]
        quick = not options.get("reset_sequences", True) and not options["interactive"]
        if not quick or connection.vendor != "postgresql" or not _superuser(connection):
            return super().handle(**options)
        tables = [
            table
            for table in connection.introspection.django_table_names(only_existing=True, include_views=False)
            if table not in KEPT
        ]
        quote = connection.ops.quote_name
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            # The names are the models' own tables, quoted.
            cursor.execute("; ".join(f"DELETE FROM {quote(table)}" for table in tables))  # noqa: S608
        if tables and not options.get("inhibit_post_migrate", False):
            emit_post_migrate_signal(options["verbosity"], False, database)
