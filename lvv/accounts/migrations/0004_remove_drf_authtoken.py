"""DRF's token app (rest_framework.authtoken) is gone; API tokens are accounts.ApiToken now.

Its table kept every key in plain text and has a foreign key to the users, which would block
deleting a user; drop it where it exists (old keys stop working: issue new tokens), and forget
its migrations, so that adding the app back would create the table afresh. The same for
knox's own token table, which its migrations create although the project uses
accounts.ApiToken instead (settings: KNOX_TOKEN_MODEL, and no migrations for knox).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_apitoken"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "DROP TABLE IF EXISTS authtoken_token",
                "DELETE FROM django_migrations WHERE app = 'authtoken'",
                "DROP TABLE IF EXISTS knox_authtoken",
                "DELETE FROM django_migrations WHERE app = 'knox'",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
