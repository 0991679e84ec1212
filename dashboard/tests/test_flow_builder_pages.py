"""The flow builder (/manage/flows/): admins only; the list (create, duplicate, delete) and the
editor (settings, save as a version, rollback, test run, files), on two tenants whose flows,
queues and files never cross; bad input is refused with its node and field, nothing stored."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory, UserFactory
from automation.models import ConnectionFlow, Flow, FlowMedia, FlowVersion
from automation.tests.support import make_flow, menu_graph
from channels_integrations.conftest import media_root  # noqa: F401
from conftest import host_client, signed_in_client
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory, QueueFactory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def world(alpha, beta):
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
        beta_queue = QueueFactory(name="Fila do Beta")
        beta_flow = make_flow(
            beta_admin,
            menu_graph(sales_queue=beta_queue.pk, support_queue=beta_queue.pk),
            name="Bot do Beta",
        )
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        agent = UserFactory()
        sales = QueueFactory(name="Vendas Alpha")
        support = QueueFactory(name="Suporte Alpha")
        flow = make_flow(
            admin, menu_graph(sales_queue=sales.pk, support_queue=support.pk), name="Bot Alpha"
        )
    return {
        "admin": admin,
        "agent": agent,
        "sales": sales,
        "support": support,
        "flow": flow,
        "beta_admin": beta_admin,
        "beta_queue": beta_queue,
        "beta_flow": beta_flow,
    }


def _post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _url(flow, tail=""):
    return f"/manage/flows/{flow.public_id}/{tail}"


def test_only_admins_open_the_builder(alpha, world):
    agent = signed_in_client(alpha, world["agent"])
    assert agent.get("/manage/flows/").status_code == 403
    assert agent.get(_url(world["flow"])).status_code == 403
    assert _post_json(agent, _url(world["flow"], "save/"), {"graph": {}}).status_code == 403
    assert host_client(alpha.host).get("/manage/flows/").status_code == 302
    admin = signed_in_client(alpha, world["admin"])
    assert admin.get("/manage/flows/").status_code == 200
    assert "manage/flows/" in admin.get("/manage/").content.decode()


def test_the_list_shows_only_this_tenants_flows(alpha, world):
    html = signed_in_client(alpha, world["admin"]).get("/manage/flows/").content.decode()
    assert "Bot Alpha" in html
    assert "Bot do Beta" not in html
    assert signed_in_client(alpha, world["admin"]).get(_url(world["beta_flow"])).status_code == 404


@pytest.mark.parametrize("count", [1, 8])
def test_the_list_costs_the_same_queries_for_few_or_many_flows(
    alpha, world, count, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        graph = menu_graph(sales_queue=world["sales"].pk, support_queue=world["support"].pk)
        for n in range(count):
            extra = make_flow(world["admin"], graph, name=f"Outro {n}", is_default=False)
            ConnectionFlow.objects.create(connection=ConnectionFactory(), flow=extra)
    client = signed_in_client(alpha, world["admin"])
    client.get("/")
    # session, user, flows with their version, their connections (the search path is already
    # the tenant's)
    with django_assert_num_queries(4):
        page = client.get("/manage/flows/")
    assert page.content.decode().count('data-testid="flow-row"') == count + 1


def test_an_admin_creates_a_flow_and_lands_in_its_editor(alpha, world):
    client = signed_in_client(alpha, world["admin"])
    created = client.post("/manage/flows/", {"name": "Boas-vindas"})
    with tenant_scope(alpha.tenant):
        flow = Flow.objects.get(name="Boas-vindas")
        assert flow.current_version.number == 1
    assert created.status_code == 302
    assert created["Location"] == _url(flow)
    editor = client.get(created["Location"])
    assert editor.status_code == 200
    html = editor.content.decode()
    assert 'id="flow-builder-data"' in html
    assert "Vendas Alpha" in html  # the queues an option may transfer to: this tenant's
    assert "Fila do Beta" not in html


def test_a_flow_without_a_name_is_refused_next_to_the_field(alpha, world):
    client = signed_in_client(alpha, world["admin"])
    refused = client.post("/manage/flows/", {"name": "   "})
    assert refused.status_code == 400
    assert 'id="id_name-error"' in refused.content.decode()
    with tenant_scope(alpha.tenant):
        assert Flow.objects.count() == 1


def test_saving_adds_a_version_and_rollback_brings_an_old_one_back(alpha, world):
    client = signed_in_client(alpha, world["admin"])
    flow = world["flow"]
    graph = json.loads(json.dumps(flow.current_version.graph))
    graph["nodes"][0]["name"] = "Menu novo"
    saved = _post_json(client, _url(flow, "save/"), {"graph": graph, "note": "novo nome"})
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == 2
    with tenant_scope(alpha.tenant):
        flow.refresh_from_db()
        assert flow.current_version.graph["nodes"][0]["name"] == "Menu novo"
        assert flow.current_version.note == "novo nome"
    page = client.get(_url(flow)).content.decode()
    assert "Menu novo" in page
    assert _url(flow, "versions/1/rollback/") in page

    back = client.post(_url(flow, "versions/1/rollback/"))
    assert back.status_code == 302
    with tenant_scope(alpha.tenant):
        flow.refresh_from_db()
        assert flow.current_version.number == 3
        assert flow.current_version.graph["nodes"][0]["name"] == "Menu"
    assert client.post(_url(flow, "versions/9/rollback/")).status_code == 404
    assert client.post(_url(world["beta_flow"], "versions/1/rollback/")).status_code == 404


def test_an_invalid_graph_is_refused_with_its_node_and_field_and_nothing_stored(alpha, world):
    client = signed_in_client(alpha, world["admin"])
    flow = world["flow"]
    graph = json.loads(json.dumps(flow.current_version.graph))
    menu = graph["nodes"][0]
    menu["options"][0]["action"] = {"type": "queue", "queue": world["beta_queue"].pk}
    menu["options"][1]["action"] = {"type": "node", "node": "nowhere"}
    menu["options"][2]["answers"] = []

    refused = _post_json(client, _url(flow, "save/"), {"graph": graph})

    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "flow_invalid"
    found = {(e["node"], e["field"], e["code"]) for e in body["extra"]["errors"]}
    assert ("menu", "options[1].action.node", "target_missing") in found
    assert ("sup", "id", "node_unreachable") in found
    assert any(e[0] == "menu" and e[1].startswith("options[0].action") for e in found)
    with tenant_scope(alpha.tenant):
        assert FlowVersion.objects.filter(flow=flow).count() == 1


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"graph": "x"}', b"{}"])
def test_malformed_saves_are_a_clear_400(alpha, world, body):
    client = signed_in_client(alpha, world["admin"])
    refused = client.post(_url(world["flow"], "save/"), body, content_type="application/json")
    assert refused.status_code == 400
    assert set(refused.json()) == {"code", "message", "extra"}
    with tenant_scope(alpha.tenant):
        assert FlowVersion.objects.filter(flow=world["flow"]).count() == 1


def test_the_test_run_answers_with_the_next_step_without_storing_anything(alpha, world):
    client = signed_in_client(alpha, world["admin"])
    flow = world["flow"]
    graph = flow.current_version.graph
    url = _url(flow, "try/")

    started = _post_json(client, url, {"graph": graph, "state": None, "text": ""}).json()
    assert started["state"] == {"node": "menu", "retries": 0}
    assert "1 Vendas" in started["replies"][0]["text"]

    second = _post_json(client, url, {"graph": graph, "state": started["state"], "text": "2"})
    assert second.json()["state"]["node"] == "sup"
    handed = _post_json(client, url, {"graph": graph, "state": {"node": "sup"}, "text": "Não"})
    assert handed.json()["state"] is None
    assert handed.json()["handoff"] == {"type": "queue", "queue": world["support"].pk}

    bad = _post_json(client, url, {"graph": graph, "state": "menu", "text": "1"})
    assert bad.status_code == 400
    assert _post_json(client, url, {"graph": {"nodes": []}, "text": ""}).json()["code"] == (
        "flow_invalid"
    )
    with tenant_scope(alpha.tenant):
        assert FlowVersion.objects.count() == 1


def test_settings_attach_connections_and_refuse_a_bad_test_contact(alpha, world):
    with tenant_scope(alpha.tenant):
        connection = ConnectionFactory(name="WhatsApp Loja")
    client = signed_in_client(alpha, world["admin"])
    flow = world["flow"]
    form = {
        "name": "Bot Alpha 2",
        "is_active": "on",
        "connections": [str(connection.public_id)],
        "test_contacts": "not a phone",
    }
    refused = client.post(_url(flow), form)
    assert refused.status_code == 400
    assert 'id="id_test_contacts-error"' in refused.content.decode()
    with tenant_scope(alpha.tenant):
        assert not ConnectionFlow.objects.exists()

    form["test_contacts"] = "(11) 98765-4321"
    saved = client.post(_url(flow), form)
    assert saved.status_code == 302
    with tenant_scope(alpha.tenant):
        flow.refresh_from_db()
        assert flow.name == "Bot Alpha 2"
        assert flow.is_default is False
        assert flow.test_contacts == ["+5511987654321"]
        assert ConnectionFlow.objects.get().connection == connection
    assert client.post(_url(flow), {**form, "connections": [str(uuid.uuid4())]}).status_code == 400


def test_duplicate_copies_the_graph_and_delete_asks_and_removes(alpha, world):
    client = signed_in_client(alpha, world["admin"])
    flow = world["flow"]
    listing = client.get("/manage/flows/").content.decode()
    confirms = [part.split('"', 1)[0] for part in listing.split('data-confirm="')[1:]]
    assert any("Bot Alpha" in text for text in confirms)  # names what will be lost
    assert client.post(_url(flow, "duplicate/")).status_code == 302
    with tenant_scope(alpha.tenant):
        copy = Flow.objects.exclude(pk=flow.pk).get()
        assert copy.is_active is False
        assert copy.current_version.graph == flow.current_version.graph
    assert client.post(_url(flow, "delete/")).status_code == 302
    assert client.get(_url(flow)).status_code == 404
    assert client.get(_url(flow, "delete/")).status_code == 405
    assert client.post(_url(world["beta_flow"], "delete/")).status_code == 404
    with tenant_scope(alpha.tenant):
        flow.refresh_from_db()
        assert flow.deleted_at is not None


@pytest.mark.usefixtures("media_root")
def test_a_media_step_file_is_uploaded_into_this_tenant_only(alpha, beta, world):
    client = signed_in_client(alpha, world["admin"])
    upload = client.post(
        "/manage/flows/media/", {"file": SimpleUploadedFile("menu.png", PNG, "image/png")}
    )
    assert upload.status_code == 201, upload.content
    assert upload.json()["name"] == "menu.png"
    assert client.post("/manage/flows/media/", {}).status_code == 400
    with tenant_scope(alpha.tenant):
        assert FlowMedia.objects.filter(public_id=upload.json()["id"]).exists()
    with tenant_scope(beta.tenant):
        assert not FlowMedia.objects.exists()
    assert upload.json()["id"] in client.get(_url(world["flow"])).content.decode()
