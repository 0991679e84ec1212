"""Tests never reach the network outside this machine: pytest-socket refuses the connection
before a packet is sent, so a forgotten mock fails loudly instead of calling a real provider."""

import socket
import time

import httpx
import pytest
from pytest_socket import SocketConnectBlockedError

# The refusal also issues a UserWarning with the same text; the error is what these tests check.
pytestmark = pytest.mark.filterwarnings("ignore:A test tried to use socket")

# Reserved, unrouted address: a real attempt would hang until the timeout instead of failing.
UNREACHABLE = "10.255.255.1"


def test_a_connection_outside_loopback_is_refused_without_being_attempted():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(5)
    started = time.monotonic()
    with pytest.raises(SocketConnectBlockedError, match=UNREACHABLE):
        sock.connect((UNREACHABLE, 443))
    assert time.monotonic() - started < 1  # refused at once, not timed out
    assert sock.fileno() == -1  # closed by the guard, never connected


def test_an_http_client_gets_the_same_refusal():
    with pytest.raises(SocketConnectBlockedError, match=UNREACHABLE):
        httpx.get(f"http://{UNREACHABLE}/", timeout=5)


def test_loopback_stays_open():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
