"""What every Meta product's adapter declares and shares: Meta calls one URL (``/webhooks/meta/``)
for all of them, and the ``object`` of a delivery says which product (so which adapter) it is for.
Every product's connection speaks for one Graph account (a phone number, a Page, an Instagram
account) reached with one access token, and its webhooks are signed with the app secret.

A new Meta product is a provider subclassing ``MetaWebhookProvider`` with its ``object_type`` and
the names of its credentials; the shared endpoint finds it through the registry, nothing else
names it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpRequest
from django.utils.functional import Promise

from channels_integrations.providers.base import ChannelProvider, ProviderError
from channels_integrations.providers.meta.credentials import credentials_of
from channels_integrations.providers.meta.errors import CODE_AUTH
from channels_integrations.providers.meta.graph import GraphClient
from channels_integrations.providers.meta.signatures import verify_signature
from channels_integrations.providers.registry import PROVIDERS, provider_for
from connections.models import ChannelConnection

META_WEBHOOK_PATH = "meta/"


class MetaWebhookProvider(ChannelProvider):
    webhook_routing = "shared"  # every Meta product of the app posts to /webhooks/meta/
    shared_webhook_path = META_WEBHOOK_PATH
    # The ``object`` of this product's webhook deliveries ("page", "instagram", ...).
    object_type: ClassVar[str]
    # Credential holding the Graph id of the account a connection speaks for: the route key of
    # its webhook items, and the object ``check_credentials`` reads.
    account_id_field: ClassVar[str]
    # Credential holding the token every Graph call of the connection is made with.
    access_token_field: ClassVar[str]
    # Fields asked of the account by ``check_credentials``, kept as facts about the connection.
    profile_fields: ClassVar[tuple[str, ...]]
    # Why ``check_credentials`` failed when Graph refuses the account (``id``, ``detail``).
    account_not_found: ClassVar[str | Promise]

    def graph_client(self, credentials: dict[str, Any]) -> GraphClient:
        return GraphClient(str(credentials[self.access_token_field]))

    def route_keys(self, credentials: dict[str, Any]) -> list[str]:
        return [str(credentials[self.account_id_field])]

    def check_credentials(self, credentials: dict[str, Any]) -> dict[str, Any]:
        account_id = str(credentials[self.account_id_field])
        try:
            account = self.graph_client(credentials).get(
                account_id, params={"fields": ",".join(self.profile_fields)}
            )
        except ProviderError as exc:
            if not exc.permanent:
                raise
            if exc.code == CODE_AUTH:  # shown under the token the admin has to replace
                exc.field = self.access_token_field
                raise
            raise ProviderError(
                str(self.account_not_found) % {"id": account_id, "detail": exc.detail},
                permanent=True,
                code=exc.code,
                field=self.account_id_field,
            ) from exc
        return {
            field: str(account[field])
            for field in self.profile_fields
            if account.get(field) is not None
        }

    def verify_request(self, request: HttpRequest, connection: ChannelConnection) -> None:
        verify_signature(request, str(credentials_of(connection).get("app_secret") or ""))


def meta_providers_by_object() -> dict[str, str]:
    """Webhook ``object`` → provider key, for every registered Meta product."""
    found: dict[str, str] = {}
    for key in PROVIDERS:
        provider = provider_for(key)
        if isinstance(provider, MetaWebhookProvider):
            found[provider.object_type] = key
    return found
