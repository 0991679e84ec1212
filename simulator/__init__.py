"""Provider simulator: the subset of the Telegram Bot API and Meta Graph API that our adapters
call, and the Evolution API gateway of WhatsApp by QR code (``evolution``), on a local HTTP
server (``server``), plus builders and a poster of correctly signed inbound webhooks
(``webhooks``).

It is a development and support tool, not part of the product: it imports nothing of the app
(only the standard library and httpx), so the app's ``manage.py provider_simulator``, the
benchmarks (``bench/``) and the tests can all use it, and it ships in the Docker image for demos.

Point the app at it with ``TELEGRAM_API_BASE_URL=http://127.0.0.1:<port>`` and
``META_GRAPH_API_URL=http://127.0.0.1:<port>/v26.0``. Run it alone with
``manage.py provider_simulator --port 8977`` (or ``python -m simulator`` with the same options);
``--post http://localhost:8000 --provider telegram --webhook-token T --secret S --rate 5
--count 20`` posts signed webhooks instead.
"""

from simulator.cli import add_arguments, delivery_maker, run_from_options
from simulator.evolution import EvolutionGateway, qr_png
from simulator.server import GRAPH_VERSION, Faults, Recorded, Simulator
from simulator.templates import TemplateCatalog
from simulator.webhooks import (
    Delivery,
    PostResult,
    evolution_delivery,
    meta_signature,
    post_at_rate,
    telegram_delivery,
    telegram_document_update,
    telegram_text_update,
    whatsapp_delivery,
    whatsapp_text_webhook,
)

__all__ = [
    "GRAPH_VERSION",
    "Delivery",
    "EvolutionGateway",
    "Faults",
    "PostResult",
    "Recorded",
    "Simulator",
    "TemplateCatalog",
    "add_arguments",
    "delivery_maker",
    "evolution_delivery",
    "meta_signature",
    "post_at_rate",
    "qr_png",
    "run_from_options",
    "telegram_delivery",
    "telegram_document_update",
    "telegram_text_update",
    "whatsapp_delivery",
    "whatsapp_text_webhook",
]
