"""The routing choices now live in tickets.ConnectionRouting (copied by tickets 0004): drop them
from the connection table."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("connections", "0001_initial"),
        ("tickets", "0004_connectionrouting"),
    ]

    operations = [
        migrations.RemoveField(model_name="channelconnection", name="default_queue"),
        migrations.RemoveField(model_name="channelconnection", name="greeting_message"),
        migrations.RemoveField(model_name="channelconnection", name="farewell_message"),
    ]
