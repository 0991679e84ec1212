"""A new gunicorn worker is warmed before its first request (deploy/gunicorn.conf.py).

The hook runs in a fresh Python process, as in a worker just forked: the WSGI application
loaded, nothing requested yet. After ``post_worker_init`` the worker has imported every view of
both URL confs, loaded the translation catalogs, and holds its PostgreSQL connection, so its first
request does not pay for them (about a second in the B2 mix, bench/api_load.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.collector import FULL_COLLECTION_AFTER
from tests.support.celery_worker import app_process_env

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db

PROBE = """
import gc, importlib.util, json, logging, sys, types
spec = importlib.util.spec_from_file_location("gunicorn_conf", "deploy/gunicorn.conf.py")
conf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conf)
from tiktickets.wsgi import application
from django.db import connection
from django.utils.translation import trans_real

def state():
    return {
        "views": "tickets.api.ticket_views" in sys.modules,
        "platform_urls": "dashboard.platform.urls" in sys.modules,
        "catalogs": sorted(trans_real._translations),
        "database": connection.connection is not None,
        "frozen": gc.get_freeze_count() > 0,
        "full_collection_after": gc.get_threshold()[2],
    }

before = state()
conf.post_worker_init(types.SimpleNamespace(wsgi=application, log=logging.getLogger("probe")))
print(json.dumps({"before": before, "after": state()}))
"""


def _probe(code: str) -> dict:
    """Run ``code`` in a fresh Python process with the app's environment; its last line, JSON."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=app_process_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_new_worker_loads_what_a_request_needs_before_its_first_request():
    # given: a fresh process with the WSGI application loaded, as gunicorn forks a worker
    got = _probe(PROBE)
    # when: the worker's post_worker_init hook has run
    # then: the views, both languages' catalogs and the database connection are ready
    assert got["before"] == {
        "views": False,
        "platform_urls": False,
        "catalogs": got["before"]["catalogs"],
        "database": False,
        "frozen": False,
        "full_collection_after": 10,
    }
    assert got["after"]["views"] is True
    assert got["after"]["platform_urls"] is True
    assert got["after"]["database"] is True
    # and what it loaded is out of the garbage collector's reach, and full collections are rarer
    assert got["after"]["frozen"] is True
    assert got["after"]["full_collection_after"] == FULL_COLLECTION_AFTER
    assert {"en", "pt-br"} <= set(got["after"]["catalogs"])


ASGI_PROBE = """
import gc, json
import tiktickets.asgi
print(json.dumps({"frozen": gc.get_freeze_count(), "full_collection_after": gc.get_threshold()[2]}))
"""


THREADED_PROBE = PROBE.replace(
    'types.SimpleNamespace(wsgi=application, log=logging.getLogger("probe"))',
    "_threaded_worker()",
).replace(
    "before = state()",
    """def _threaded_worker():
    from gunicorn.workers.gthread import ThreadWorker
    worker = ThreadWorker.__new__(ThreadWorker)
    worker.wsgi, worker.log = application, logging.getLogger("probe")
    return worker

before = state()""",
)


def test_a_threaded_worker_is_warmed_without_keeping_a_connection_on_its_main_thread():
    """gthread serves requests on its pool's threads, each with its own connection: the one the
    warm-up opened on the main thread would sit idle for the worker's life."""
    assert "_threaded_worker()" in THREADED_PROBE
    got = _probe(THREADED_PROBE)
    assert got["after"]["views"] is True
    assert got["after"]["platform_urls"] is True
    assert got["after"]["frozen"] is True
    assert got["after"]["database"] is False


def test_the_asgi_application_freezes_what_it_loaded():
    """daphne's process: everything the ASGI module loaded is frozen (a full collection on a
    daphne serving 500 sockets took 250-317 ms, walking objects that live as long as it), and
    full collections are as rare as in a gunicorn worker."""
    got = _probe(ASGI_PROBE)
    assert got["frozen"] > 10_000
    assert got["full_collection_after"] == FULL_COLLECTION_AFTER
