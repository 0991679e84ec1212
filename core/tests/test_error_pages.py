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


def test_json_nested_too_deeply_is_a_400_parse_error_not_a_500(api_alpha):
    depth = 20_000  # small enough for the size limit, too deep for Python's JSON decoder
    body = b'{"email": ' + b"[" * depth + b"]" * depth + b"}"
    response = api_alpha.post("/api/v1/auth/token/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_body_over_the_upload_limit_is_a_413_in_the_error_shape(api_alpha, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = b'{"email": "' + b"x" * 2048 + b'", "password": "x"}'
    response = api_alpha.post("/api/v1/auth/token/", data=body, content_type="application/json")
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "request_too_large"
    assert body["extra"] == {"max_bytes": 1024}
