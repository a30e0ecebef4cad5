"""An index for the agenda suggestions' "DT&V flag" reason (``lso.selectors.reason_rows``):
the flagged ``dtv_review`` events, a small part of all reviews, found without reading every
review. On the timeline's table, which the cases app owns; the LSO reads it (no model
state: the cases models do not declare it)."""

from django.db import migrations

INDEX = "lso_timeline_flagged_review"


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_case_file"),
        ("lso", "0005_special_texts"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON cases_timelineevent (case_id, occurred_on, id) "
                "WHERE type = 'dtv_review' AND (data -> 'flagged') = 'true'::jsonb"
            ),
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
