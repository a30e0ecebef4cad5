"""An index for the DT&V's review inbox (``lso.inboxes``): "no review of this case after that
scenario or advice" becomes a probe on the case's own reviews, not a walk through every
review in the country (at 100,000 cases the inbox's count read each review once per open
trajectory). On the timeline's table, which the cases app owns; the LSO reads it (no model
state: the cases models do not declare it), as ``0006_flagged_review_index``."""

from django.db import migrations

INDEX = "lso_timeline_review"


class Migration(migrations.Migration):
    dependencies = [
        ("lso", "0008_agenda_item_reason_parts"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {INDEX} ON cases_timelineevent (case_id, occurred_on, id) "
            "WHERE type = 'dtv_review'",
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
