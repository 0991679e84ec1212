"""Unknown URLs answer in the API's error shape under /api/ and with a page elsewhere."""


def test_unknown_api_url_answers_json_404(client_alpha):
    response = client_alpha.get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert body["extra"] == {}
    assert body["message"]


def test_unknown_page_answers_html_404(client_alpha):
    response = client_alpha.get("/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_api_method_not_allowed_keeps_the_error_shape(api_alpha):
    response = api_alpha.get("/api/v1/auth/token/")
    assert response.status_code == 405
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert set(body) == {"code", "message", "extra"}


def test_malformed_json_is_a_400_parse_error(api_alpha):
    response = api_alpha.post(
        "/api/v1/auth/token/", data=b"{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_missing_fields_are_reported_per_field(api_alpha):
    response = api_alpha.post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["extra"]["fields"]) == {"email", "password"}
