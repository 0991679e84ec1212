"""ChannelConnection now belongs to the connections app (its table renamed there, data kept):
the pipelines' foreign keys point at it, and the model leaves this app's state. Nothing changes
in the database here."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("channels_integrations", "0003_credentials_encrypted_events_deliveries"),
        ("connections", "0001_initial"),
        # Tickets and messages must stop pointing at this app's model before it is deleted.
        ("tickets", "0004_connectionrouting"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="inboundevent",
                    name="connection",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="inbound_events", to="connections.channelconnection"),
                ),
                migrations.AlterField(
                    model_name="outbounddelivery",
                    name="connection",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="deliveries", to="connections.channelconnection"),
                ),
                migrations.DeleteModel(name="ChannelConnection"),
            ],
        ),
    ]
