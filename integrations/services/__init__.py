"""Writes of the integrations domain: API keys, the send APIs, webhook subscriptions and
deliveries. The public names are re-exported here."""
