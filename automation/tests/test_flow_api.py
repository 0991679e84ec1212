"""/api/v1/flows/: admins create, change, version, roll back, validate, duplicate, test-run,
import and export flows; errors are {code, message, extra}; tenants never see each other's."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory, UserFactory
from automation.models import Flow, FlowVersion
from automation.tests.support import menu_graph
from conftest import sign_in_api
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory, QueueFactory

ORIGINAL = json.loads((Path(__file__).parent / "fixtures" / "provider_menu.json").read_text())
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def world(alpha):
    with tenant_scope(alpha.tenant):
        admin, agent = AdminFactory(), UserFactory()
        sales, support = QueueFactory(name="Vendas"), QueueFactory(name="Suporte")
        connection = ConnectionFactory()
    graph = menu_graph(sales_queue=sales.pk, support_queue=support.pk)
    return admin, agent, graph, connection


@pytest.fixture
def api(api_alpha, world):
    return sign_in_api(api_alpha, world[0].email)


def _create(api, graph, **extra):
    response = api.post("/api/v1/flows/", {"name": "Menu", "graph": graph, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_an_admin_creates_lists_and_reads_a_flow(api, world):
    _, _, graph, connection = world
    flow = _create(
        api,
        graph,
        is_default=True,
        test_contacts=["+55 11 98765-4321"],
        connection_ids=[str(connection.public_id)],
    )

    assert flow["version"] == 1
    assert flow["graph"] == graph
    assert flow["test_contacts"] == ["+5511987654321"]
    assert flow["connection_ids"] == [str(connection.public_id)]
    listed = api.get("/api/v1/flows/").json()["results"]
    assert [f["id"] for f in listed] == [flow["id"]]
    assert api.get(f"/api/v1/flows/{flow['id']}/").json()["graph"] == graph


def test_the_list_runs_a_fixed_number_of_queries(api, world, alpha, django_assert_num_queries):
    _, _, graph, _ = world
    for _ in range(3):
        _create(api, graph, connection_ids=[])
    with tenant_scope(alpha.tenant):
        connections = [ConnectionFactory() for _ in range(3)]
    for flow, connection in zip(
        api.get("/api/v1/flows/").json()["results"], connections, strict=True
    ):
        api.patch(
            f"/api/v1/flows/{flow['id']}/",
            {"connection_ids": [str(connection.public_id)]},
            format="json",
        )
    # the token's user, the flows, their connections (the tenant from the host cache, its
    # search path already the connection's)
    with django_assert_num_queries(3):
        response = api.get("/api/v1/flows/")
    assert len(response.json()["results"]) == 3


def test_agents_may_not_manage_flows(api_alpha, world):
    _, agent, graph, _ = world
    api = sign_in_api(api_alpha, agent.email)
    response = api.post("/api/v1/flows/", {"name": "X", "graph": graph}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "admin_required"
    assert api.get("/api/v1/flows/").status_code == 403


def test_an_invalid_graph_is_refused_with_node_and_field_and_nothing_stored(api, world):
    _, _, graph, _ = world
    flow = _create(api, graph)
    bad = json.loads(json.dumps(graph))
    bad["nodes"][0]["options"][1]["action"]["node"] = "missing"

    response = api.post(f"/api/v1/flows/{flow['id']}/versions/", {"graph": bad}, format="json")

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "flow_invalid"
    assert {(e["node"], e["field"], e["code"]) for e in body["extra"]["errors"]} == {
        ("menu", "options[1].action.node", "target_missing"),
        ("sup", "id", "node_unreachable"),
    }
    assert FlowVersion.objects.filter(flow__public_id=flow["id"]).count() == 1
    garbage = api.post("/api/v1/flows/", {"name": "", "graph": "x"}, format="json")
    assert garbage.status_code == 400
    assert set(garbage.json()) == {"code", "message", "extra"}


def test_validate_checks_without_saving(api, world):
    _, _, graph, _ = world
    ok = api.post("/api/v1/flows/validate/", {"graph": graph}, format="json").json()
    broken = api.post("/api/v1/flows/validate/", {"graph": {"nodes": []}}, format="json").json()
    assert ok == {"valid": True, "problems": []}
    assert broken["valid"] is False
    assert broken["problems"][0]["code"] == "nodes_empty"
    assert not Flow.objects.exists()


def test_settings_changes_never_wipe_the_graph(api, world):
    _, _, graph, _ = world
    flow = _create(api, graph)
    response = api.patch(
        f"/api/v1/flows/{flow['id']}/", {"name": "Novo nome", "is_active": False}, format="json"
    )
    assert response.json()["graph"] == graph
    assert response.json()["name"] == "Novo nome"


def test_saving_makes_versions_and_rollback_restores_an_old_graph_as_a_new_one(api, world):
    _, _, graph, _ = world
    flow = _create(api, graph)
    changed = json.loads(json.dumps(graph))
    changed["nodes"][0]["name"] = "Menu v2"
    saved = api.post(f"/api/v1/flows/{flow['id']}/versions/", {"graph": changed}, format="json")
    assert saved.json()["version"] == 2

    rolled = api.post(f"/api/v1/flows/{flow['id']}/versions/1/rollback/")
    versions = api.get(f"/api/v1/flows/{flow['id']}/versions/").json()["results"]

    assert rolled.status_code == 201
    assert rolled.json()["version"] == 3
    assert rolled.json()["graph"] == graph
    assert [v["number"] for v in versions] == [3, 2, 1]
    old = api.get(f"/api/v1/flows/{flow['id']}/versions/2/").json()
    assert old["graph"]["nodes"][0]["name"] == "Menu v2"
    assert api.post(f"/api/v1/flows/{flow['id']}/versions/9/rollback/").status_code == 404


def test_duplicate_really_duplicates(api, world):
    _, _, graph, connection = world
    flow = _create(api, graph, is_default=True, connection_ids=[str(connection.public_id)])
    copy = api.post(f"/api/v1/flows/{flow['id']}/duplicate/", {}, format="json").json()

    assert copy["id"] != flow["id"]
    assert copy["graph"] == graph
    assert copy["name"] == "Menu (cópia)"  # in the admin's language
    assert (copy["is_active"], copy["is_default"], copy["connection_ids"]) == (False, False, [])


def test_a_test_run_walks_the_flow_without_a_customer(api, world):
    _, _, graph, _ = world
    flow = _create(api, graph)
    url = f"/api/v1/flows/{flow['id']}/test-run/"

    start = api.post(url, {"state": None}, format="json").json()
    second = api.post(url, {"state": start["state"], "text": "Suporte técnico"}, format="json")
    handed = api.post(url, {"state": second.json()["state"], "text": "nao"}, format="json").json()

    assert start["state"] == {"node": "menu", "retries": 0}
    assert start["replies"][0]["text"].startswith("Olá {{name}}!")
    assert second.json()["state"] == {"node": "sup", "retries": 0}
    assert handed["state"] is None
    assert handed["handoff"]["type"] == "queue"
    assert not FlowVersion.objects.filter(runs__isnull=False).exists()


def test_a_file_is_uploaded_for_a_media_interaction(api, world):
    _, _, graph, _ = world
    upload = api.post(
        "/api/v1/flows/media/",
        {"file": SimpleUploadedFile("router.png", PNG, content_type="image/png")},
        format="multipart",
    )
    assert upload.status_code == 201
    graph["nodes"][0]["interactions"].append(
        {"id": "m", "type": "media", "media": upload.json()["id"], "caption": "Veja", "delay_ms": 0}
    )
    _create(api, graph)
    refused = api.post(
        "/api/v1/flows/media/",
        {"file": SimpleUploadedFile("x.html", b"<html>", content_type="text/html")},
        format="multipart",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "media_type_not_allowed"


def test_import_previews_then_creates_and_export_gives_the_original_json(api, alpha, world):
    with tenant_scope(alpha.tenant):
        for name in ("Atendimento Geral", "Financeiro", "Suporte Técnico"):
            QueueFactory(name=name)
        UserFactory(email="vendas@rede.test")
        UserFactory(email="tecnico@rede.test")
    body = {
        "name": "Provedor",
        "flow": ORIGINAL,
        "queues": {"1": "atendimento geral", "2": "Financeiro", "3": "Suporte Técnico"},
        "users": {"5": "vendas@rede.test", "7": "tecnico@rede.test"},
    }
    preview = api.post("/api/v1/flows/import/", body, format="json")
    created = api.post("/api/v1/flows/import/", {**body, "confirm": True}, format="json")
    exported = api.get(f"/api/v1/flows/{created.json()['id']}/export/").json()

    assert preview.status_code == 200
    assert preview.json()["unmapped_queues"] == []
    assert created.status_code == 201
    assert {n["id"] for n in exported["nodeList"]} == {n["id"] for n in ORIGINAL["nodeList"]}
    assert {q["name"] for q in exported["queues"]} == {
        "Atendimento Geral",
        "Financeiro",
        "Suporte Técnico",
    }
    unmapped = api.post(
        "/api/v1/flows/import/", {**body, "queues": {}, "confirm": True}, format="json"
    )
    assert unmapped.status_code == 400
    assert unmapped.json()["code"] == "flow_import_unmapped"


def test_another_tenant_never_sees_a_flow(api, api_beta, beta, world):
    _, _, graph, _ = world
    flow = _create(api, graph)
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    other = sign_in_api(api_beta, beta_admin.email)

    assert other.get("/api/v1/flows/").json()["results"] == []
    for path in ("", "versions/", "export/"):
        response = other.get(f"/api/v1/flows/{flow['id']}/{path}")
        assert response.status_code == 404
        assert response.json()["code"] == "flow_not_found"
    assert other.delete(f"/api/v1/flows/{flow['id']}/").status_code == 404


def test_delete_lets_connections_and_the_default_go(api, world):
    _, _, graph, connection = world
    flow = _create(api, graph, is_default=True, connection_ids=[str(connection.public_id)])
    assert api.delete(f"/api/v1/flows/{flow['id']}/").status_code == 204
    assert api.get(f"/api/v1/flows/{flow['id']}/").status_code == 404
    gone = Flow.objects.get(public_id=flow["id"])
    assert (gone.is_default, gone.connection_links.count()) == (False, 0)
