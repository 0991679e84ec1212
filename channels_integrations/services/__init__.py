"""Writes of the channels domain, one module per subdomain; import from the submodules:
``connections`` (create, change, enable/disable, routes), ``inbound`` (webhooks to messages),
``outbound`` (messages to providers)."""
