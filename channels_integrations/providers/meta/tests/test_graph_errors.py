"""Graph error payloads → temporary or permanent ProviderError.
Error shape: https://developers.facebook.com/docs/graph-api/guides/error-handling
"""

import httpx
import pytest
from django.utils import translation

from channels_integrations.providers.base import ProviderError
from channels_integrations.providers.meta.graph import GraphClient
from channels_integrations.providers.meta.tests.support import GRAPH


def _error(code, message, *, subcode=None, details=None, **extra):
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Az8F0"}
    if subcode is not None:
        error["error_subcode"] = subcode
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    error.update(extra)
    return {"error": error}


def _call(respx_mock, response) -> ProviderError:
    respx_mock.get(f"{GRAPH}/106540352242922").mock(return_value=response)
    with pytest.raises(ProviderError) as caught:
        GraphClient("EAAG-token").get("106540352242922")
    return caught.value


def test_calls_go_to_the_configured_version_with_a_bearer_token(respx_mock, settings):
    settings.META_GRAPH_API_URL = "https://graph.facebook.com/v21.0/"
    route = respx_mock.get("https://graph.facebook.com/v21.0/106540352242922").mock(
        return_value=httpx.Response(200, json={"id": "106540352242922"})
    )
    assert GraphClient("EAAG-token").get("106540352242922") == {"id": "106540352242922"}
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer EAAG-token"
    assert "EAAG-token" not in str(request.url)


def test_an_expired_token_is_permanent(respx_mock):
    error = _call(
        respx_mock,
        httpx.Response(
            401,
            json=_error(
                190,
                "Error validating access token: Session has expired on Wednesday, 14-Feb-18.",
                subcode=463,
            ),
        ),
    )
    assert (error.permanent, error.code) == (True, "meta_auth_failed")
    assert "Session has expired" in error.detail


def test_the_cloud_api_throughput_limit_is_temporary_with_retry_after(respx_mock):
    error = _call(
        respx_mock,
        httpx.Response(
            400,
            headers={"Retry-After": "12"},
            json=_error(130429, "(#130429) Rate limit hit", details="Cloud API throughput reached"),
        ),
    )
    assert (error.permanent, error.code, error.retry_after) == (False, "rate_limited", 12.0)


@pytest.mark.parametrize("code", [4, 80007, 130429, 131048, 131056])
def test_every_documented_rate_limit_is_temporary(respx_mock, code):
    error = _call(respx_mock, httpx.Response(400, json=_error(code, "limit")))
    assert (error.permanent, error.code) == (False, "rate_limited")


def test_business_use_case_usage_gives_the_wait_in_minutes(respx_mock):
    usage = (
        '{"102290129340398": [{"type": "whatsapp", "call_count": 100, "total_cputime": 25, '
        '"total_time": 25, "estimated_time_to_regain_access": 5}]}'
    )
    error = _call(
        respx_mock,
        httpx.Response(
            400,
            headers={"X-Business-Use-Case-Usage": usage},
            json=_error(80007, "(#80007) There have been too many calls to this WhatsApp account"),
        ),
    )
    assert (error.permanent, error.retry_after) == (False, 300.0)


def test_a_server_error_without_body_is_temporary(respx_mock):
    error = _call(respx_mock, httpx.Response(500, text="<html>oops</html>"))
    assert (error.permanent, error.code, error.retry_after) == (
        False,
        "provider_unavailable",
        None,
    )


def test_a_transient_graph_error_is_temporary(respx_mock):
    error = _call(
        respx_mock, httpx.Response(400, json=_error(2, "Service temporarily unavailable"))
    )
    assert error.permanent is False
    error = _call(
        respx_mock, httpx.Response(400, json=_error(1200, "Temporary", is_transient=True))
    )
    assert error.permanent is False


def test_the_whatsapp_window_error_is_permanent_with_its_own_code(respx_mock):
    with translation.override("en"):  # the agent-facing reason is translated; read it in English
        error = _call(
            respx_mock,
            httpx.Response(
                400,
                json=_error(
                    131047,
                    "(#131047) Re-engagement message",
                    details="More than 24 hours have passed since the recipient last replied.",
                ),
            ),
        )
    assert (error.permanent, error.code) == (True, "whatsapp_window_closed")
    assert "24 hours" in error.detail


def test_the_messenger_window_error_is_permanent_with_its_own_code(respx_mock):
    error = _call(
        respx_mock,
        httpx.Response(
            400,
            json=_error(
                10, "(#10) This message is sent outside of allowed window.", subcode=2018278
            ),
        ),
    )
    assert (error.permanent, error.code) == (True, "messaging_window_closed")


@pytest.mark.parametrize(
    ("code", "subcode"), [(131026, None), (133010, None), (551, 1545041), (100, 2018001)]
)
def test_an_unreachable_recipient_is_permanent(respx_mock, code, subcode):
    error = _call(
        respx_mock, httpx.Response(400, json=_error(code, "unreachable", subcode=subcode))
    )
    assert (error.permanent, error.code) == (True, "meta_invalid_recipient")


def test_a_permission_error_is_permanent(respx_mock):
    error = _call(respx_mock, httpx.Response(403, json=_error(200, "(#200) Permissions error")))
    assert (error.permanent, error.code) == (True, "meta_auth_failed")


def test_any_other_client_error_is_permanent_and_named_after_its_code(respx_mock):
    error = _call(
        respx_mock,
        httpx.Response(400, json=_error(100, "(#100) Invalid parameter", details="bad to")),
    )
    assert (error.permanent, error.code) == (True, "meta_100")
    assert "Invalid parameter" in error.detail
    assert "bad to" in error.detail


def test_no_answer_at_all_is_temporary(respx_mock):
    respx_mock.get(f"{GRAPH}/1").mock(side_effect=httpx.ConnectTimeout("timed out"))
    with pytest.raises(ProviderError) as caught:
        GraphClient("t").get("1")
    assert (caught.value.permanent, caught.value.code) == (False, "network_error")
