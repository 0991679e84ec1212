"""URLs given by integrators never lead inside our network: every resolved address is
checked, the checked address is the one connected to, and redirects are not followed."""

import pytest

from integrations.errors import UnsafeUrl
from integrations.safe_http import safe_request, url_check
from integrations.tests.receiver import Reply, receiver_running


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://127.1.2.3:8080/x",
        "http://10.0.0.5/x",
        "http://172.16.1.1/x",
        "http://192.168.0.10/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/x",
        "http://0.0.0.0/x",
        "http://[::1]/x",
        "http://[fd00::1]/x",
        "http://[fe80::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://localhost/x",
    ],
)
def test_internal_addresses_and_names_resolving_to_them_are_refused(url):
    with pytest.raises(UnsafeUrl) as refused:
        url_check(url)

    assert refused.value.code == "unsafe_url"


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "http://user:pw@example.com/", "x"]
)
def test_other_schemes_and_credentials_in_urls_are_refused(url):
    with pytest.raises(UnsafeUrl) as refused:
        url_check(url)

    assert refused.value.code == "url_invalid"


def test_a_public_address_is_connected_to_directly_keeping_the_name():
    target = url_check("https://93.184.215.14:8443/a?b=1")

    assert target.url == "https://93.184.215.14:8443/a?b=1"
    assert target.server_name == "93.184.215.14"


def test_the_loopback_receiver_is_reached_only_when_its_network_is_allowed(settings):
    with receiver_running() as receiver:
        with pytest.raises(UnsafeUrl):
            safe_request("GET", receiver.url + "/f", timeout=2, max_bytes=100)
        settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32"]

        answer = safe_request("GET", receiver.url + "/f", timeout=2, max_bytes=100)

    assert answer.status_code == 200
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["Host"] == receiver.url.removeprefix("http://")


def test_a_redirect_is_answered_as_is_never_followed(settings):
    settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with receiver_running() as receiver:
        receiver.script(Reply(302, headers={"Location": "http://169.254.169.254/"}), Reply(200))

        answer = safe_request("GET", receiver.url + "/f", timeout=2, max_bytes=100)

    assert answer.status_code == 302
    assert len(receiver.requests) == 1
