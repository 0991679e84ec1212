from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """Live updates: domain events relayed to websockets, presence, typing and viewing."""

    name = "realtime"
    verbose_name = "Realtime"
