"""The `web` service's gunicorn worker (deploy/gunicorn.conf.py): gunicorn's sync worker, free
for its next request as soon as a response is sent.

A sync worker answers every request with "Connection: close". After the response, gunicorn's
own worker half-closes the connection and then reads until the client's FIN (up to 2 s), so
that a close never finds unread data in the kernel's buffer and resets the connection under
the response (RFC 9112, section 9.6). Meanwhile the worker serves nobody: a client that closes
late (a proxy or a poster short of CPU) holds one of the few workers per request. At 150
webhooks a second on two loaded cores the four workers spent 57-90 % of their time there and
10-43 % serving (docs/performance.md, "The acknowledgement at 150/s").

Here the wait is kept only where it protects something: after a response to a request whose
body was read to its end, with nothing more from the client in the kernel's buffer, the
connection is half-closed and closed at once; the close sends no reset, since nothing is
unread. A body the application left unread (an early 403 or 404), a chunked or unframed body,
or anything the client sent after its request still gets gunicorn's drain, and so does a
request that failed.
"""

from __future__ import annotations

import socket
from typing import Any

from gunicorn.http.body import LengthReader
from gunicorn.workers.sync import SyncWorker as GunicornSyncWorker


def request_read_to_its_end(request: Any) -> bool:
    """Whether gunicorn has taken the request's whole body off the connection (a request
    without a body counts as read)."""
    body = getattr(request, "body", None)
    reader = getattr(body, "reader", None)
    return isinstance(reader, LengthReader) and reader.length == 0


def close_unless_unread(sock: socket.socket) -> bool:
    """Half-close ``sock`` and close it at once when the kernel holds nothing unread from the
    client (or its FIN already came); ``False``, with the connection half-closed and still
    open, when something is waiting to be read: the caller drains it before closing."""
    try:
        sock.shutdown(socket.SHUT_WR)
        waiting = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        waiting = b""  # nothing unread and the client has not closed yet: no wait needed
    except OSError:
        return False  # gone or reset already: the caller's close handles it
    if waiting:
        return False
    sock.close()
    return True


class SyncWorker(GunicornSyncWorker):
    """gunicorn's sync worker that does not wait for the client's FIN after a request whose
    body it has read to its end (see the module doc)."""

    def handle_request(self, listener: Any, req: Any, client: socket.socket, addr: Any) -> None:
        super().handle_request(listener, req, client, addr)
        if request_read_to_its_end(req):
            # gunicorn's close that follows finds the socket closed and returns at once.
            close_unless_unread(client)
