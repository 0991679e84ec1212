"""The simulated Evolution API gateway of the WhatsApp QR tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from channels_integrations.providers.whatsapp_qr.tests.support import GLOBAL_KEY, deliver
from simulator import Simulator


@pytest.fixture
def gateway(settings: Any) -> Iterator[Simulator]:
    """The simulated gateway; webhooks are held until ``sim.evolution.release()``."""
    sim = Simulator().start()
    sim.evolution.api_key = GLOBAL_KEY
    sim.evolution.qr_interval = 3600  # the refresh cycle is driven by the tests
    sim.evolution.hold = True
    sim.evolution.deliver = deliver
    settings.EVOLUTION_API_URL = sim.evolution_url
    settings.EVOLUTION_API_KEY = GLOBAL_KEY
    yield sim
    sim.stop()
