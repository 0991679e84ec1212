"""Malformed graphs, states and imports get a clear 400 {code, message, extra}, never a 5xx,
and nothing is stored."""

import pytest

from accounts.tests.factories import AdminFactory
from automation.models import Flow
from conftest import sign_in_api
from tenants.tenancy import tenant_scope

GRAPHS = [
    [],
    "menu",
    {"start": "a", "nodes": [1, "x", None]},
    {"start": "a", "nodes": [{"id": "a", "name": "A", "options": "x", "interactions": {}}]},
    {"start": "a", "nodes": [{"id": "a", "name": "A", "options": 5, "interactions": [7]}]},
    {"start": "a", "nodes": {"a": 1}, "settings": 3},
    {
        "start": "a",
        "settings": {"retry_limit": "x", "inactivity": [], "close_keywords": "sair"},
        "nodes": [{"id": "a", "name": "A"}],
    },
    {
        "start": "a",
        "settings": {},
        "nodes": [
            {
                "id": "a",
                "name": "A",
                "interactions": [{"type": "media", "media": {"x": 1}, "delay_ms": "soon"}],
                "options": [
                    {"answers": [1, None], "action": {"type": "queue", "queue": [1]}},
                    {"answers": ["b"], "action": {"type": "agent", "agent": True}},
                    {"answers": ["c"], "action": "node"},
                ],
            }
        ],
    },
]
IMPORTS = [
    {"nodeList": "x"},
    {"nodeList": [1]},
    {"nodeList": [{"type": "configurations", "configurations": []}], "lineList": "x"},
    {
        "nodeList": [
            {"type": "configurations", "configurations": {"maxRetryBotMessage": "3"}},
            {"type": "node", "id": 5, "interactions": "x", "conditions": [{"condition": "abc"}]},
        ],
        "lineList": [{"from": "start", "to": 5}],
    },
]


@pytest.fixture
def api(api_alpha, alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    return sign_in_api(api_alpha, admin.email)


@pytest.mark.parametrize("graph", GRAPHS)
def test_a_malformed_graph_is_a_400_with_problems(api, graph):
    created = api.post("/api/v1/flows/", {"name": "X", "graph": graph}, format="json")
    checked = api.post("/api/v1/flows/validate/", {"graph": graph}, format="json")

    assert created.status_code == 400
    assert created.json()["code"] == "flow_invalid"
    assert created.json()["extra"]["errors"]
    assert checked.status_code == 200
    assert checked.json()["valid"] is False
    assert not Flow.objects.exists()


@pytest.mark.parametrize("flow", IMPORTS)
def test_a_malformed_import_is_a_400(api, flow):
    for confirm in (False, True):
        response = api.post(
            "/api/v1/flows/import/", {"name": "X", "flow": flow, "confirm": confirm}, format="json"
        )
        assert response.status_code in (200, 400), response.content
        if response.status_code == 400 or confirm:
            assert response.status_code == 400
            assert set(response.json()) == {"code", "message", "extra"}
    assert not Flow.objects.exists()


def test_a_test_run_with_a_foreign_state_is_a_400(api):
    flow = api.post("/api/v1/flows/", {"name": "X"}, format="json").json()
    url = f"/api/v1/flows/{flow['id']}/test-run/"
    for state in ({"node": "nope"}, {"node": "node-1", "retries": "many"}, [1]):
        response = api.post(url, {"state": state, "text": "oi"}, format="json")
        assert response.status_code == 400, (state, response.content)
        assert set(response.json()) == {"code", "message", "extra"}
