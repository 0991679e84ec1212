"""What the three Meta adapters (WhatsApp Cloud API, Messenger, Instagram) share: one small Graph
API client, the webhook signature and subscription handshake, routing keys of the shared webhook
endpoint, and the mapping of Graph errors to ``ProviderError``.

Graph API: https://developers.facebook.com/docs/graph-api/overview
Webhooks: https://developers.facebook.com/docs/graph-api/webhooks/getting-started
"""
