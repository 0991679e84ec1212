"""The OpenAPI schema and Swagger UI are served on tenant hosts and describe our JWT scheme."""


def test_openapi_schema_lists_the_auth_endpoints_and_tenant_jwt_scheme(client_alpha):
    response = client_alpha.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/logout/",
        "/api/v1/me/",
    ):
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["tenantJWT"]["scheme"] == "bearer"


def test_swagger_ui_is_served(client_alpha):
    response = client_alpha.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_schema_is_not_served_on_the_platform_host(client, alpha):
    response = client.get("/api/v1/schema/", HTTP_HOST="localhost")
    assert response.status_code == 404


def test_every_operation_keys_may_call_names_its_scope_and_the_key_scheme_is_described(
    client_alpha,
):
    response = client_alpha.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()

    send = schema["paths"]["/api/v1/messages/send/"]["post"]
    contacts = schema["paths"]["/api/v1/contacts/"]["get"]
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert send["x-required-scope"] == "send:write"
    assert contacts["x-required-scope"] == "contacts:read"
    assert "x-required-scope" not in token
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
