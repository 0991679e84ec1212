"""factory_boy factories of channel connections; call them inside a tenant scope."""

from __future__ import annotations

import factory

from connections.models import ChannelConnection


class ChannelConnectionFactory(factory.django.DjangoModelFactory[ChannelConnection]):
    """A connected web chat; pass ``provider=`` and ``credentials=`` for another kind."""

    class Meta:
        model = ChannelConnection

    provider = "webchat"
    name = factory.Sequence(lambda n: f"Site {n}")
    status = ChannelConnection.Status.CONNECTED
