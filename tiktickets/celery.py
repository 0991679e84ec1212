"""The Celery app and the one beat schedule.

``CeleryApp`` from tenant-schemas-celery stamps every task with the schema it was enqueued from
and runs it in that schema, so tasks never receive tenant ids. Periodic jobs run in public and
fan out one task per active tenant (tenants.tasks.tenants_fan_out_task).
"""

import os

from celery.schedules import crontab
from celery.signals import celeryd_init
from kombu import Queue
from tenant_schemas_celery.app import CeleryApp

# Production by default, like wsgi.py and asgi.py: this module is imported (by the package
# __init__) before either of them sets the variable. manage.py and `make run` choose dev.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiktickets.settings.prod")

app = CeleryApp("tiktickets")


@celeryd_init.connect
def worker_priority_lower(**_: object) -> None:
    """A worker started with ``CELERY_WORKER_NICE=N`` runs N steps below normal CPU priority
    (its pool processes inherit it): a backlog of inbound work then slows processing, never
    the web processes that acknowledge webhooks (docker-compose.yml sets it for the inbound and
    bulk workers)."""
    increment = int(os.environ.get("CELERY_WORKER_NICE", "0") or "0")
    if increment > 0:
        os.nice(increment)


app.config_from_object("django.conf:settings", namespace="CELERY")
# One routing key per queue: with a shared key, a message routed by exchange and key would be
# copied into every queue.
app.conf.task_queues = [
    Queue(name, routing_key=name) for name in ("inbound", "replies", "default", "bulk")
]
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Every minute: each tenant's e-mail connections read their mailboxes (a bounded job per
    # connection, IDLE or polling for EMAIL_WATCH_SECONDS; the next minute re-arms it).
    "email-mailboxes-watch": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(minute="*"),
        "args": ("channels_integrations.tasks.email_mailboxes_watch_task",),
    },
    # Every day at 04:10 UTC: drop expired sessions and refresh-token records of each tenant.
    "auth-expired-credentials-purge": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(hour="4", minute="10"),
        "args": ("accounts.tasks.auth_expired_credentials_purge_task",),
    },
    # Every day at 04:20 UTC: delete audit log entries older than each log's retention.
    "audit-retention": {
        "task": "tenants.tasks.audit_retention_task",
        "schedule": crontab(hour="4", minute="20"),
    },
    # Every 15 minutes: close each tenant's tickets idle for longer than its days_to_close.
    "tickets-auto-close": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(minute="*/15"),
        "args": ("tickets.tasks.tickets_auto_close_task",),
    },
    # Every minute: hand each tenant's due scheduled messages to the outbound pipeline.
    "messages-scheduled-dispatch": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(minute="*"),
        "args": ("tickets.tasks.messages_scheduled_dispatch_task",),
    },
    # Every 10 seconds: turn offline the agents whose sockets stopped sending heartbeats (with
    # the 45-second presence TTL, a closed browser shows offline within a minute).
    "realtime-presence-sweep": {
        "task": "realtime.tasks.presence_sweep_task",
        "schedule": 10.0,
        "options": {"expires": 10},
    },
    # Every 2 minutes: re-enqueue each tenant's inbound webhook events whose processing task was
    # lost (waiting longer than CHANNEL_SWEEP_AFTER_MINUTES).
    "channels-inbound-sweep": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(minute="*/2"),
        "args": ("channels_integrations.tasks.inbound_events_sweep_task",),
    },
    # Every minute: move each tenant's tickets that stayed silent inside the chatbot past their
    # flow's inactivity rule, telling the customer.
    "automation-flows-inactivity": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(minute="*"),
        "args": ("automation.tasks.flow_runs_inactive_task",),
    },
    # Every 2 minutes: re-enqueue each tenant's outbound deliveries whose task was lost, and give
    # a delivery to dispatched messages that never got one.
    "channels-outbound-sweep": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(minute="*/2"),
        "args": ("channels_integrations.tasks.outbound_deliveries_sweep_task",),
    },
    # Every minute: give a sender to each tenant's running campaigns that none holds (a task lost
    # with a killed bulk worker).
    "campaigns-sweep": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(minute="*"),
        "args": ("campaigns.tasks.campaigns_sweep_task",),
    },
    # Every 30 minutes: re-sync each tenant's WhatsApp message templates (statuses whose
    # webhook was lost, templates changed in Meta's own tools).
    "channels-templates-sync": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(minute="7,37"),
        "args": ("channels_integrations.tasks.templates_sync_all_task",),
    },
    # Every minute: enqueue each tenant's webhook deliveries whose back-off has passed.
    "webhook-deliveries-sweep": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(minute="*"),
        "args": ("integrations.tasks.webhook_deliveries_sweep_task",),
    },
    # Every 10 minutes: re-enqueue each tenant's data subject requests whose job was lost.
    "privacy-requests-sweep": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(minute="*/10"),
        "args": ("privacy.tasks.privacy_requests_sweep_task",),
    },
    # Every hour: delete each tenant's contact data exports past their download window.
    "privacy-exports-expire": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(minute="25"),
        "args": ("privacy.tasks.privacy_exports_expire_task",),
    },
    # Every day at 03:40 UTC: each tenant's retention policy, where enabled.
    "privacy-retention-apply": {
        "task": "tenants.tasks.tenants_fan_out_task",
        "schedule": crontab(hour="3", minute="40"),
        "args": ("privacy.tasks.retention_apply_task",),
    },
}
