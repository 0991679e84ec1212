from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        # Session sign-in and sign-out are announced by django.contrib.auth's signals, whichever
        # view (dashboard, platform, Django admin) performed them.
        from audit import signals  # noqa: F401
