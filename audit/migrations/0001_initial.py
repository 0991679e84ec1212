import django.utils.timezone
from django.db import migrations, models

# The guard function lives once, in the public schema, and every schema's table (public and
# each tenant's) calls it from its own trigger. Only the retention deletion, which sets
# tiktickets.audit_retention inside its own transaction (SET LOCAL), may delete rows. Schemas
# may be migrated side by side: replacing the shared function is serialised.
GUARD_FUNCTION = """
SELECT pg_advisory_xact_lock(hashtext('audit_entry_guard'));
CREATE OR REPLACE FUNCTION public.audit_entry_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('tiktickets.audit_retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit log entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

TRIGGER = """
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
FOR EACH ROW EXECUTE FUNCTION public.audit_entry_guard();
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("action", models.CharField(max_length=64)),
                ("actor_kind", models.CharField(choices=[("user", "User"), ("api_key", "API key"), ("platform_staff", "Platform staff"), ("system", "System"), ("anonymous", "Anonymous")], max_length=16)),
                ("actor_id", models.CharField(blank=True, max_length=64)),
                ("actor_label", models.CharField(blank=True, max_length=255)),
                ("object_type", models.CharField(blank=True, max_length=64)),
                ("object_id", models.CharField(blank=True, max_length=64)),
                ("object_label", models.CharField(blank=True, max_length=255)),
                ("changes", models.JSONField(blank=True, default=dict)),
                ("extra", models.JSONField(blank=True, default=dict)),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, max_length=512)),
            ],
            options={
                "verbose_name": "audit entry",
                "verbose_name_plural": "audit entries",
                "ordering": ("-created_at", "-id"),
                "indexes": [
                    models.Index(fields=["-created_at", "-id"], name="audit_entry_recent"),
                    models.Index(fields=["action", "-created_at", "-id"], name="audit_entry_action"),
                    models.Index(fields=["actor_kind", "actor_id", "-created_at", "-id"], name="audit_entry_actor"),
                    models.Index(fields=["object_type", "object_id", "-created_at", "-id"], name="audit_entry_object"),
                ],
            },
        ),
        migrations.RunSQL(GUARD_FUNCTION, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(
            TRIGGER,
            reverse_sql="DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;",
        ),
    ]
