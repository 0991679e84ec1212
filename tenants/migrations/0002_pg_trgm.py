from django.db import migrations


class Migration(migrations.Migration):
    """Trigram search (contact names, message text) for every tenant schema, installed in public."""

    dependencies = [("tenants", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
