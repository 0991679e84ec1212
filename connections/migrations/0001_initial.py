"""ChannelConnection moves here from channels_integrations: no data is copied.

The model's state is created in this app while its table, with every row, is renamed from
``channels_integrations_channelconnection`` to ``connections_channelconnection`` (a catalogue
change in PostgreSQL: foreign keys pointing at it follow the table). The new name is Django's
default for this app, so nothing has to remember the old one. The content type row moves too,
so permissions and admin history stay attached to the model.

The routing fields (default queue, greeting, farewell) are still part of the state here: the
tickets app copies them into ``tickets.ConnectionRouting`` before 0002 drops them.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models

import connections.providers.registry

OLD_TABLE = "channels_integrations_channelconnection"
NEW_TABLE = "connections_channelconnection"


def content_type_move(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if ContentType.objects.filter(app_label="connections", model="channelconnection").exists():
        return
    ContentType.objects.filter(app_label="channels_integrations", model="channelconnection").update(
        app_label="connections"
    )


def content_type_move_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if ContentType.objects.filter(
        app_label="channels_integrations", model="channelconnection"
    ).exists():
        return
    ContentType.objects.filter(app_label="connections", model="channelconnection").update(
        app_label="channels_integrations"
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("channels_integrations", "0003_credentials_encrypted_events_deliveries"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("tickets", "0003_message_body_fts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE {OLD_TABLE} RENAME TO {NEW_TABLE}",
                    reverse_sql=f"ALTER TABLE {NEW_TABLE} RENAME TO {OLD_TABLE}",
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="ChannelConnection",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ("provider", models.CharField(max_length=32, validators=[connections.providers.registry.provider_key_validate], verbose_name="provider")),
                        ("name", models.CharField(max_length=80, verbose_name="name")),
                        ("status", models.CharField(choices=[("pending", "Not connected yet"), ("connected", "Connected"), ("error", "Error"), ("disabled", "Disabled")], default="pending", max_length=16, verbose_name="status")),
                        ("status_detail", models.CharField(blank=True, default="", max_length=500, verbose_name="status detail")),
                        ("credentials_encrypted", models.TextField(blank=True, default="", editable=False)),
                        ("details", models.JSONField(blank=True, default=dict, verbose_name="details")),
                        ("webhook_token", models.CharField(blank=True, default="", editable=False, max_length=64)),
                        ("default_queue", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="tickets.queue", verbose_name="default queue")),
                        ("greeting_message", models.TextField(blank=True, default="", verbose_name="greeting message")),
                        ("farewell_message", models.TextField(blank=True, default="", verbose_name="farewell message")),
                        ("is_active", models.BooleanField(default=True, verbose_name="active")),
                    ],
                    options={
                        "verbose_name": "channel connection",
                        "verbose_name_plural": "channel connections",
                        "ordering": ["name"],
                        "constraints": [
                            models.UniqueConstraint(condition=models.Q(("webhook_token", ""), _negated=True), fields=("webhook_token",), name="connection_webhook_token_unique"),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_type_move, content_type_move_back),
    ]
