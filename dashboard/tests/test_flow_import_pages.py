"""Importing a flow of the original system through /manage/flows/import/ (the real URL conf):
the JSON, then a confirmation screen that maps each queue and user id it names to this
account's (pre-selected by name, or chosen, or none), then the flow; and its export back. Two
tenants: another tenant's queues are never offered nor accepted. Bad input is a 400 next to
its field, with nothing stored."""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory, UserFactory
from automation.models import Flow
from automation.services.flows import flow_export
from channels_integrations.conftest import media_root  # noqa: F401
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Queue
from tickets.tests.factories import QueueFactory

ORIGINAL = json.loads(
    (Path(__file__).parents[2] / "automation/tests/fixtures/provider_menu.json").read_text()
)
IMPORT, CONFIRM = "/manage/flows/import/", "/manage/flows/import/confirm/"


@pytest.fixture
def world(alpha, beta, media_root):  # noqa: F811
    with tenant_scope(beta.tenant):
        # More queues in beta than in alpha: beta's ids are not ids of alpha.
        beta_queues = [QueueFactory(name=f"Fila Beta {n}") for n in range(6)]
    with tenant_scope(alpha.tenant):
        admin = AdminFactory(language="en")
        queues = {
            name: QueueFactory(name=name)
            for name in ("Atendimento Geral", "Financeiro", "Suporte Técnico")
        }
        field_tech = UserFactory(name="Técnico de Campo")
        sales_rep = UserFactory(name="Vendas", email="vendas@rede.test")
    return {
        "admin": admin,
        "queues": queues,
        "field_tech": field_tech,
        "sales_rep": sales_rep,
        "beta_queues": beta_queues,
    }


def _with_names(data):
    """The JSON as this system exports it: the names of the queues and users it names."""
    named = copy.deepcopy(data)
    named["queues"] = [
        {"id": 1, "name": "Atendimento Geral"},
        {"id": 2, "name": "Financeiro"},
        {"id": 3, "name": "suporte técnico"},
    ]
    named["users"] = [
        {"id": 5, "name": "Vendedor", "email": "vendas@rede.test"},
        {"id": 7, "name": "Técnico de Campo", "email": "campo@rede.test"},
    ]
    return named


def _selected(page: str, name: str) -> str | None:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(1))
    return chosen.group(1) if chosen and chosen.group(1) else None  # "": "Choose…"


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    return re.findall(r">([^<]*)</option>", select.group(1))


def _read(client, data, name="Provedor"):
    upload = SimpleUploadedFile("flow.json", json.dumps(data).encode(), "application/json")
    return client.post(IMPORT, {"name": name, "file": upload})


def _choices(page: str, **changes: str) -> dict[str, str]:
    """The confirmation form as the screen shows it (hidden JSON, name, selections)."""
    flow_json = re.search(r'name="flow_json" value="([^"]*)"', page)
    assert flow_json
    data = {"flow_json": html.unescape(flow_json.group(1)), "name": "Provedor"}
    for name in re.findall(r'<select name="([^"]+)"', page):
        data[name] = _selected(page, name) or ""
    data.update(changes)
    return data


def test_agents_get_403_and_admins_the_page_in_their_language(alpha, world):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        pt_admin = AdminFactory(language="pt-br")
    assert signed_in_client(alpha, agent).get(IMPORT).status_code == 403
    assert signed_in_client(alpha, agent).post(CONFIRM, {}).status_code == 403

    english = signed_in_client(alpha, world["admin"]).get(IMPORT).content.decode()
    portuguese = signed_in_client(alpha, pt_admin).get(IMPORT).content.decode()

    assert "Import a flow" in english
    assert "Importar um fluxo" in portuguese
    listed = signed_in_client(alpha, world["admin"]).get("/manage/flows/").content.decode()
    assert 'href="/manage/flows/import/"' in listed


def test_the_original_json_shows_every_id_to_choose_and_stores_nothing(alpha, world):
    client = signed_in_client(alpha, world["admin"])

    page = _read(client, ORIGINAL)

    assert page.status_code == 200
    body = page.content.decode()
    # The original system's JSON carries ids only: nothing is pre-selected, all are offered.
    for name in ("queues__1", "queues__2", "queues__3", "users__5", "users__7"):
        assert _selected(body, name) is None
    assert _options(body, "queues__1") == [
        "Choose…",
        "None: leave the ticket waiting in its queue",
        "Atendimento Geral",
        "Financeiro",
        "Suporte Técnico",
    ]
    with tenant_scope(alpha.tenant):
        assert not Flow.objects.exists()


def test_names_pre_select_and_the_admin_confirms_with_a_none(alpha, world):
    client = signed_in_client(alpha, world["admin"])
    queues = world["queues"]

    body = _read(client, _with_names(ORIGINAL)).content.decode()

    assert _selected(body, "queues__1") == str(queues["Atendimento Geral"].pk)
    assert _selected(body, "queues__3") == str(queues["Suporte Técnico"].pk)  # case ignored
    assert _selected(body, "users__5") == str(world["sales_rep"].pk)  # by e-mail
    assert _selected(body, "users__7") is None  # its e-mail is nobody's here; its name is shown
    assert "“Técnico de Campo”" in body

    created = client.post(CONFIRM, _choices(body, queues__2="none", users__7="none"))

    assert created.status_code == 302, created.content.decode()[:2000]
    with tenant_scope(alpha.tenant):
        flow = Flow.objects.get()
        assert (flow.name, flow.is_active) == ("Provedor", False)
        assert created["Location"] == f"/manage/flows/{flow.public_id}/"
        actions = [
            option["action"]
            for node in flow.current_version.graph["nodes"]
            for option in node["options"]
        ]
    assert {"type": "queue", "queue": queues["Suporte Técnico"].pk} in actions
    assert {"type": "agent", "agent": world["sales_rep"].pk} in actions
    # Queue 2 and user 7 were "none": their options leave the ticket waiting.
    assert not any(a.get("queue") == queues["Financeiro"].pk for a in actions)
    assert not any(a.get("agent") == world["field_tech"].pk for a in actions)
    assert sum(a == {"type": "waiting"} for a in actions) >= 2


def test_an_id_left_unchosen_is_refused_next_to_its_select(alpha, world):
    client = signed_in_client(alpha, world["admin"])
    body = _read(client, ORIGINAL).content.decode()

    refused = client.post(CONFIRM, _choices(body))

    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'id="id_queues__1-error"' in page
    assert "Choose one, or none." in page
    with tenant_scope(alpha.tenant):
        assert not Flow.objects.exists()


def test_another_tenants_queue_is_never_offered_nor_accepted(alpha, world):
    client = signed_in_client(alpha, world["admin"])
    body = _read(client, _with_names(ORIGINAL)).content.decode()
    beta_queue = world["beta_queues"][-1]
    with tenant_scope(alpha.tenant):
        assert not Queue.objects.filter(pk=beta_queue.pk).exists()

    assert "Fila Beta" not in body
    refused = client.post(CONFIRM, _choices(body, queues__2=str(beta_queue.pk)))

    assert refused.status_code == 400
    assert 'id="id_queues__2-error"' in refused.content.decode()
    with tenant_scope(alpha.tenant):
        assert not Flow.objects.exists()


def test_the_service_refuses_a_queue_of_no_queue_of_this_account(alpha, world):
    """The same check without the form's choices: the service is the one that decides."""
    from automation.services.flows import flow_import_mapped
    from core.exceptions import FieldValidationError

    with tenant_scope(alpha.tenant):
        queues = {"1": world["queues"]["Financeiro"].pk, "2": None, "3": None}
        with pytest.raises(FieldValidationError) as refused:
            flow_import_mapped(
                by=world["admin"],
                name="X",
                data=ORIGINAL,
                queues={**queues, "2": world["beta_queues"][-1].pk},
                users={"5": None, "7": None},
            )
        assert set(refused.value.extra["fields"]) == {"queues.2"}
        assert not Flow.objects.exists()


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"name": "X", "text": "{not json"}, "This is not valid JSON."),
        ({"name": "X", "text": '{"nodes": []}'}, "This is not a flow exported by the original"),
        ({"name": "X", "text": ""}, "Upload the flow"),
        ({"name": "", "text": json.dumps(ORIGINAL)}, "This field is required."),
    ],
)
def test_bad_json_is_a_400_on_the_first_step(alpha, world, post, message):
    client = signed_in_client(alpha, world["admin"])

    refused = client.post(IMPORT, post)

    assert refused.status_code == 400
    assert message in refused.content.decode()
    with tenant_scope(alpha.tenant):
        assert not Flow.objects.exists()


def test_a_tampered_confirmation_stores_nothing(alpha, world):
    client = signed_in_client(alpha, world["admin"])

    lost = client.post(CONFIRM, {"name": "X", "flow_json": "[1, 2"})
    not_a_flow = client.post(CONFIRM, {"name": "X", "flow_json": "[]"})

    assert lost.status_code == not_a_flow.status_code == 302
    assert lost["Location"] == IMPORT
    with tenant_scope(alpha.tenant):
        assert not Flow.objects.exists()


def test_the_flow_page_exports_what_imports_again(alpha, beta, world):
    client = signed_in_client(alpha, world["admin"])
    body = _read(client, _with_names(ORIGINAL)).content.decode()
    client.post(CONFIRM, _choices(body, queues__2="none", users__7="none"))
    with tenant_scope(alpha.tenant):
        flow = Flow.objects.get()
        expected = flow_export(flow=flow)
    page = client.get(f"/manage/flows/{flow.public_id}/").content.decode()
    assert f'href="/manage/flows/{flow.public_id}/export/"' in page

    exported = client.get(f"/manage/flows/{flow.public_id}/export/")

    assert exported.status_code == 200
    assert exported["Content-Disposition"] == 'attachment; filename="provedor.json"'
    data = json.loads(exported.content)
    assert data == json.loads(json.dumps(expected))
    assert {q["name"] for q in data["queues"]} == {"Atendimento Geral", "Suporte Técnico"}
    # Read again, every queue and user it names is pre-selected by its name.
    again = _read(client, data).content.decode()
    for name in re.findall(r'<select name="([^"]+)"', again):
        assert _selected(again, name) is not None, name
    # Another tenant's admin cannot export it.
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    assert (
        signed_in_client(beta, beta_admin)
        .get(f"/manage/flows/{flow.public_id}/export/")
        .status_code
        == 404
    )
