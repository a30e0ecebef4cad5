"""An index for "no LSO discussion since": the ``lso_discussed`` events of a case by date,
which every agenda suggestion that an event or a cooperation check brings looks up
(``lso.selectors.reason_rows``), as does the pending MRT advice on the minutes. Partial: a
small part of the timeline, cheap to keep up. On the timeline's table, which the cases app
owns (no model state, as in 0006)."""

from django.db import migrations

INDEX = "lso_timeline_discussed"


class Migration(migrations.Migration):
    dependencies = [
        ("lso", "0006_flagged_review_index"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON cases_timelineevent (case_id, occurred_on, id) "
                "WHERE type = 'lso_discussed'"
            ),
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
