"""Give the demo tenant something to look at: two queues with the demo agents, tags, shared quick
replies, a web chat connection and two customer conversations. Idempotent (does nothing once the
tenant has a queue, but prints the widget's preview URL every time); built on the same services
as production. For `make run` only.

The conversations are started by real web chat visitors (the widget's own services) and their
messages go through the inbound pipeline, processed here at once so the inbox shows them before
the worker starts: agents answer them from the panel and the replies are delivered to the
visitors' conversation like any other."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from channels_integrations.models import InboundEvent
from channels_integrations.services.connections import connection_create
from channels_integrations.services.inbound import inbound_event_process
from channels_integrations.services.webchat import webchat_message_post, webchat_visitor_start
from connections.models import ChannelConnection
from contacts.services import tag_create
from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope
from tickets.models import Queue
from tickets.services.queues import queue_create, queue_members_set
from tickets.services.quick_replies import quick_reply_create

QUICK_REPLIES = [
    ("ola", "{{greeting}}, {{contact.first_name}}! Aqui é {{agent.name}}. Como posso ajudar?"),
    ("pix", "Aceitamos pix, cartão e boleto. A chave pix é o nosso CNPJ."),
    ("prazo", "O prazo de entrega é de 3 a 5 dias úteis após a confirmação do pagamento."),
]
FAREWELL = "Atendimento {{protocol}} encerrado. Obrigado, {{contact.first_name}}!"
TAGS = [("VIP", "#b54708"), ("Reclamação", "#b42318"), ("Novo cliente", "#0b7a5c")]

CONVERSATIONS = [
    ("demo-ana-0001", "Ana Souza", "+5511987650001", "Olá! Meu pedido 4521 ainda não chegou."),
    ("demo-joao-0001", "João Lima", "+5521987650002", "Bom dia, vocês aceitam pix?"),
]


class Command(BaseCommand):
    help = "Create a queue, a web chat connection and sample conversations in the demo tenant."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", default="demo")
        parser.add_argument(
            "--port", default="8000", help="the dev server's port (the widget's allowed origin)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with public_scope():
            tenant = Tenant.objects.filter(schema_name=options["slug"]).first()
            domain = tenant.get_primary_domain() if tenant is not None else None
        if tenant is None or domain is None:
            raise CommandError(f"No tenant {options['slug']!r}; run seed_demo_tenant first.")
        base_url = f"http://{domain.domain}:{options['port']}"
        with tenant_scope(tenant):
            if Queue.objects.exists():
                self.stdout.write("Demo content already there.")
            else:
                self._seed(origin=base_url)
            widget = (
                ChannelConnection.objects.filter(provider="webchat", is_active=True)
                .order_by("pk")
                .first()
            )
        if widget is not None:
            self.stdout.write(f"Web chat preview: {base_url}/widget/{widget.public_id}/try/")

    def _seed(self, *, origin: str) -> None:
        admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("pk")[0]
        queue = queue_create(by=admin, name="Atendimento", color="#0b7a5c")
        agents = User.objects.filter(is_active=True).values_list("pk", flat=True)
        queue_members_set(queue=queue, agent_ids=list(agents), by=admin)
        billing = queue_create(by=admin, name="Financeiro", color="#175cd3")
        queue_members_set(queue=billing, agent_ids=[admin.pk], by=admin)
        for shortcode, body in QUICK_REPLIES:
            quick_reply_create(by=admin, shortcode=shortcode, body=body, shared=True)
        for name, color in TAGS:
            tag_create(name=name, color=color)
        # The demo host itself may embed the widget (its preview page does).
        connection = connection_create(
            by=admin,
            provider="webchat",
            name="Site",
            credentials={
                "allowed_origins": [origin],
                "title": "Fale com a gente",
                "welcome": "Olá! Como podemos ajudar?",
            },
            default_queue=queue,
            greeting_message="Olá! Em que podemos ajudar?",
            farewell_message=FAREWELL,
        )
        for client_id, name, phone, text in CONVERSATIONS:
            # A real visitor of the widget, so replies have somewhere to go.
            visitor, _token = webchat_visitor_start(connection=connection, name=name, phone=phone)
            webchat_message_post(
                connection=connection, visitor=visitor, client_id=client_id, text=text
            )
        # Processed now (the worker is not running yet); its own task finds them done.
        waiting = InboundEvent.objects.filter(
            connection=connection, status=InboundEvent.Status.RECEIVED
        ).order_by("pk")
        for event_id in waiting.values_list("pk", flat=True):
            inbound_event_process(event_id=event_id)
        self.stdout.write(
            f"Demo content: queue {queue.name}, connection {connection.name}, "
            f"{len(CONVERSATIONS)} conversations."
        )
