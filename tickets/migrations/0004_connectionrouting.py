"""Tickets and messages point at connections.ChannelConnection (the same table, renamed by
connections 0001: only the state changes), and the routing choices move off the connection into
ConnectionRouting, one row per existing connection with its current values."""

import django.db.models.deletion
from django.db import migrations, models


def routing_copy(apps, schema_editor):
    ChannelConnection = apps.get_model("connections", "ChannelConnection")
    ConnectionRouting = apps.get_model("tickets", "ConnectionRouting")
    ConnectionRouting.objects.bulk_create(
        ConnectionRouting(
            connection_id=connection.pk,
            default_queue_id=connection.default_queue_id,
            greeting_message=connection.greeting_message,
            farewell_message=connection.farewell_message,
        )
        for connection in ChannelConnection.objects.order_by("pk")
    )


def routing_copy_back(apps, schema_editor):
    ChannelConnection = apps.get_model("connections", "ChannelConnection")
    ConnectionRouting = apps.get_model("tickets", "ConnectionRouting")
    for routing in ConnectionRouting.objects.all():
        ChannelConnection.objects.filter(pk=routing.connection_id).update(
            default_queue_id=routing.default_queue_id,
            greeting_message=routing.greeting_message,
            farewell_message=routing.farewell_message,
        )


class Migration(migrations.Migration):

    dependencies = [
        ("connections", "0001_initial"),
        ("tickets", "0003_message_body_fts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="connection",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="tickets", to="connections.channelconnection"),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="connection",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="connections.channelconnection"),
                ),
            ],
        ),
        migrations.CreateModel(
            name="ConnectionRouting",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("greeting_message", models.TextField(blank=True, default="", verbose_name="greeting message")),
                ("farewell_message", models.TextField(blank=True, default="", verbose_name="farewell message")),
                ("connection", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="routing", to="connections.channelconnection", verbose_name="channel connection")),
                ("default_queue", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="tickets.queue", verbose_name="default queue")),
            ],
            options={
                "verbose_name": "connection routing",
                "verbose_name_plural": "connection routings",
                "ordering": ["connection_id"],
            },
        ),
        migrations.RunPython(routing_copy, routing_copy_back),
    ]
