"""R8: malformed and oversized input on every write endpoint of the API.

The write endpoints are read from the served OpenAPI schema (every POST/PUT/PATCH that takes a
request body), so an endpoint added later is covered without touching this file. Each gets:
malformed JSON, a JSON array instead of an object, deeply nested JSON, invalid UTF-8, every field
with a wrong type, NUL and lone surrogates (JSON escapes PostgreSQL cannot store) in every field
and in an object key, a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, a text/plain body, and a body
of unknown fields only. The public, unauthenticated endpoints get the same shapes in
``test_r8_public_endpoints.py``. Every refused request must be a 4xx in the API's
``{code, message, extra}`` shape with nothing written to the tenant's tables; no request may end
in a 5xx.

Unknown fields are ignored by the API (DRF's default), so the unknown-fields case is reported
as refused or ignored, and an ignored one must still change no row because of those fields.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection

from tests.reliability.conftest import scaled
from tests.reliability.support import (
    admin_token,
    bearer_client,
    fill_path,
    is_error_shape,
    openapi_schema,
    operations,
    seed_objects,
)

# A small limit keeps the test fast; the mechanism, not the number, is under test.
UPLOAD_LIMIT = 64 * 1024


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def _wrong_value(prop: dict[str, Any]) -> Any:
    kind = prop.get("type")
    if kind == "integer" or kind == "number":
        return "not-a-number"
    if kind == "boolean":
        return "maybe-not"
    if kind == "array":
        return "not-a-list"
    if kind == "object":
        return ["not", "an", "object"]
    return {"not": "a string"}  # strings (also uuid, date-time, enums) and anything else


def _deep_json(depth: int) -> bytes:
    return b'{"a": ' + b"[" * depth + b"]" * depth + b"}"


def _cases(schema: dict[str, Any], operation: dict[str, Any]) -> list[tuple[str, bytes, str]]:
    content = operation["requestBody"]["content"]
    body_schema = _resolve(schema, next(iter(content.values()))["schema"])
    properties = {
        name: _resolve(schema, prop) for name, prop in body_schema.get("properties", {}).items()
    }
    json_type = "application/json"
    cases = [
        ("malformed JSON", b'{"body": "unterminated', json_type),
        ("array instead of object", b"[1, 2, 3]", json_type),
        ("JSON nested 20,000 deep", _deep_json(20_000), json_type),
        ("invalid UTF-8", b'{"name": "\xff\xfe"}', json_type),
        (
            "over the upload limit",
            json.dumps(dict.fromkeys(properties or ["body"], "x" * UPLOAD_LIMIT)).encode(),
            json_type,
        ),
        ("text/plain body", b"name=whatever", "text/plain"),
    ]
    if properties:
        wrong = {name: _wrong_value(prop) for name, prop in properties.items()}
        cases.append(("every field a wrong type", json.dumps(wrong).encode(), json_type))
    # Strings PostgreSQL cannot store, as JSON escapes: in every field, and as an object key.
    names = list(properties) or ["body"]
    for label, bad in (("NUL", "r8\u0000nul"), ("lone surrogate", "r8\ud800")):
        every = json.dumps(dict.fromkeys(names, bad)).encode()
        cases.append((f"{label} in every field", every, json_type))
        keyed = {name: {bad: bad} for name in names}
        cases.append((f"{label} in an object key", json.dumps(keyed).encode(), json_type))
    if json_type not in content:  # multipart-only endpoints: the JSON cases are wrong types too
        cases = [(label, body, ctype) for label, body, ctype in cases]
    return cases


def _fingerprint(schema_name: str) -> dict[str, tuple[int, str]]:
    """Row count and latest ``updated_at`` of every table in the tenant's schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, bool_or(a.attname = 'updated_at') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
            "WHERE n.nspname = %s AND c.relkind = 'r' GROUP BY c.relname",
            [schema_name],
        )
        tables = cursor.fetchall()
        result = {}
        for table, has_updated in tables:
            latest = "max(updated_at)::text" if has_updated else "''"
            cursor.execute(f'SELECT count(*), {latest} FROM "{schema_name}"."{table}"')  # noqa: S608
            count, last = cursor.fetchone()
            result[table] = (count, last or "")
    return result


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_every_write_endpoint_refuses_bad_input_with_the_error_shape_and_writes_nothing(
    alpha, settings, media_root, report_figure
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_LIMIT
    token = admin_token(alpha)
    ids = seed_objects(alpha, "r8-canary")
    schema = openapi_schema(alpha.host, token)
    api = bearer_client(alpha.host, token)
    writes = [
        (method, path, op)
        for method, path, op in operations(schema)
        if method in {"POST", "PUT", "PATCH"} and "requestBody" in op
    ]
    refused = 0
    total = 0
    problems: list[str] = []
    unknown_refused = unknown_ignored = 0
    for _ in range(scaled(1)):
        for method, template, operation in writes:
            path = fill_path(template, ids)
            for label, body, content_type in _cases(schema, operation):
                before = _fingerprint(alpha.tenant.schema_name)
                response = api.generic(method, path, body, content_type=content_type)
                after = _fingerprint(alpha.tenant.schema_name)
                total += 1
                where = f"{method} {template} [{label}] -> {response.status_code}"
                if response.status_code >= 500 or not 400 <= response.status_code < 500:
                    problems.append(where)
                elif not is_error_shape(response):
                    problems.append(f"{where} without the error shape")
                elif before != after:
                    changed = sorted(t for t in after if before.get(t) != after[t])
                    problems.append(f"{where} but wrote to {', '.join(changed)}")
                else:
                    refused += 1
            # Unknown fields only: refused, or ignored without writing anything because of them.
            unknown = json.dumps({"r8_unknown_field": "x", "another_unknown": [1]}).encode()
            response = api.generic(method, path, unknown, content_type="application/json")
            if response.status_code >= 500:
                problems.append(f"{method} {template} [unknown fields] -> {response.status_code}")
            elif response.status_code >= 400:
                unknown_refused += 1
                if not is_error_shape(response):
                    problems.append(f"{method} {template} [unknown fields] without error shape")
            else:
                unknown_ignored += 1
                assert b"r8_unknown_field" not in response.content

    report_figure(
        f"R8: {refused}/{total} malformed or oversized requests refused with a 4xx in the error "
        f"shape and 0 rows written, over {len(writes)} write endpoints; "
        f"unknown fields: {unknown_refused} refused, {unknown_ignored} ignored; "
        f"{len(problems)} problem(s)"
    )
    assert problems == [], "\n".join(problems)
    assert len(writes) >= 25  # the schema really was read
