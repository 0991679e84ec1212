from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from accounts import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from accounts.sessions import session_device_remember
        from accounts.signals import close_session_sockets

        user_logged_out.connect(close_session_sockets, dispatch_uid="close_session_sockets")
        user_logged_in.connect(session_device_remember, dispatch_uid="session_device_remember")
