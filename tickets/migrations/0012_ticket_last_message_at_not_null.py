"""``Ticket.last_message_at`` is never NULL: it is the inbox order's key, and a keyset page that
ended on a ticket without it gave a ``next`` cursor the API refused (400). Tickets without a
message yet take the time they were opened."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0011_ticket_search_document"),
    ]

    operations = [
        migrations.RunSQL(
            "UPDATE tickets_ticket SET last_message_at = created_at WHERE last_message_at IS NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="ticket",
            name="last_message_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
