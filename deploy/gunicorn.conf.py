"""Gunicorn settings for the `web` service: all HTTP; websockets go to daphne (`websockets`).

Started as ``gunicorn -c deploy/gunicorn.conf.py tiktickets.wsgi:application``. Every number can be
overridden from the environment (GUNICORN_*), so the same image fits a bigger machine.
"""

from __future__ import annotations

import os
import time
from typing import Any


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cpu_count() -> int:
    # The CPUs this process may run on (honours a cpuset), not every CPU of the host.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# --- Workers ------------------------------------------------------------------------------------
# Sync workers, 2 x cores + 1 capped at 4, never fewer than 2. The target is a 2-core machine
# that also runs daphne, two Celery workers, PostgreSQL and Redis, so more HTTP processes would
# only compete for the same two cores. Each worker also holds one PostgreSQL connection
# (CONN_MAX_AGE) whose backend caches the catalog of every tenant schema it touches, so the worker
# count is also the number of large backends. Requests are short (realtime is on daphne; slow work
# goes to Celery), which is what sync workers handle best. Two at least, so one slow request never
# takes the whole site down.
#
# Sync stays the default after measuring gthread (docs/performance.md, "The gunicorn worker
# model"): a sync worker answers with "Connection: close" (and gunicorn's own waited for the
# client's FIN before its next request), gthread keeps the connection. On this box at load
# 6-13, gthread 4 x 2 acknowledged 2.4-3.5x more webhooks a second at 100/s offered (ack p99
# halved) but not at 50/s, showed no measurable change on the API mix, cost ~3 ms more CPU per
# request, and one run with a 5 s keep-alive lost a webhook to a connection error. Behind nginx,
# which closes every upstream connection, keep-alive does not apply. GUNICORN_WORKER_CLASS=gthread
# with GUNICORN_THREADS and GUNICORN_KEEPALIVE (seconds an idle connection is kept: longer than the
# client's own idle limit, so the client, not the server, closes it) selects it; each thread then
# holds its own PostgreSQL connection (workers x threads backends).
#
# The sync worker is gunicorn's with one change (tiktickets/gunicorn_workers.py): after a request
# whose body it has read to the end it closes at once instead of waiting up to 2 s for the
# client's FIN; at 150 webhooks/s the stock worker spent 57-90 % of its time in that wait
# (docs/performance.md, "The acknowledgement at 150/s"). GUNICORN_WORKER_CLASS=sync is the stock
# one.
SYNC_WORKER = "tiktickets.gunicorn_workers.SyncWorker"
workers = _env_int("GUNICORN_WORKERS", max(2, min(2 * _cpu_count() + 1, 4)))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "").strip() or SYNC_WORKER
threads = _env_int("GUNICORN_THREADS", 1)
keepalive = _env_int("GUNICORN_KEEPALIVE", 2)

# Bounded worker lifetime: a worker is replaced after this many requests plus a random 0..jitter.
# With many tenant schemas, per-process caches (URL resolvers per urlconf, translations, content
# types) and the PostgreSQL backend that serves the worker grow with every tenant it touches;
# recycling the process returns that memory. That growth follows the tenants a worker has seen,
# not its request count, so a long lifetime costs little more memory than a short one. A
# replacement costs 1.0-1.7 s of CPU (start and warm-up, below): at 1,000 requests that was
# 1-1.7 ms of every request, and with a jitter of 100 the workers, started together, were all
# replaced within the same seconds: the API's saturation steps fell to 58-77 requests a second
# then (docs/performance.md, "The ticket read compiled"). The jitter is half the lifetime, so the
# replacements drift apart.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 2500)

# --- Network ------------------------------------------------------------------------------------
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Kill a worker stuck on one request for longer than this; nginx gives up at 60 s. Shutdown waits
# this long for requests in flight (compose's stop_grace_period for `web` is a little longer).
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Only nginx reaches this port (it is not published), so X-Forwarded-Proto from any peer on the
# compose network is trusted. Django itself reads it through SECURE_PROXY_SSL_HEADER.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "*")

# --- Logging: everything to stdout/stderr, collected by Docker ----------------------------------
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Client (as forwarded by nginx), tenant host, request, status, size, duration in ms.
access_log_format = '%({x-forwarded-for}i)s %({host}i)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# --- Container details --------------------------------------------------------------------------
# The heartbeat file lives in memory: on an overlay filesystem its fchmod can stall workers.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - a tmpfs the container owns, not a shared /tmp
# Gunicorn >= 25.1 opens a control socket under $HOME by default; nothing in the container uses it.
control_socket_disable = True


# --- Warm-up of each worker -----------------------------------------------------------------------
# A new worker (at start, on a deploy, on every max_requests recycling) has imported the app but
# not much of what a request needs: the URL confs and every view module they import, DRF's
# settings and authentication classes, the translation catalogs, the models' field maps, its
# PostgreSQL, Redis and Celery broker connections. Its first request used to load them: 1.3 s for
# an inbox list that then takes 20-40 ms (in process, load average 9), and in the B2 mix every
# request that queued behind the 4 cold workers waited that long too (the mix's p99 of 1.4 s,
# every endpoint alike). Loaded here, before the worker accepts anything, its first inbox list
# took 55 ms. The first note sent still costs ~0.2 s (kombu's producer, the tenant schema's
# catalog in a new PostgreSQL backend): once per worker.


def _warm_django() -> None:
    from django.apps import apps
    from django.conf import settings
    from django.db import connections
    from django.urls import get_resolver
    from django.utils import translation

    from core.redis import redis_client
    from tiktickets.celery import app as celery_app

    for model in apps.get_models():
        model._meta.get_fields()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for urlconf in (settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF):
                get_resolver(urlconf).reverse_dict  # noqa: B018 - imports views, compiles patterns
    for connection in connections.all(initialized_only=False):
        connection.ensure_connection()
    redis_client().ping()
    # The broker connection and kombu's transport: a request's first task sent costs ~80 ms
    # without this (a note sent by an agent enqueues the attendance and webhook tasks).
    with celery_app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=1)


def _serves_from_threads(worker: Any) -> bool:
    """gthread runs requests on a thread pool, not on the thread that ran this hook."""
    return type(worker).__module__ == "gunicorn.workers.gthread"


def post_worker_init(worker: Any) -> None:
    """Warm a Django worker before it accepts its first request (another WSGI app: nothing)."""
    from django.core.handlers.wsgi import WSGIHandler

    if not isinstance(worker.wsgi, WSGIHandler):
        return
    started = time.monotonic()
    try:
        _warm_django()
    except Exception:  # a first request would load the same things, and fail the same way
        worker.log.exception("worker warm-up failed; its first requests load what they need")
        return
    if _serves_from_threads(worker):
        # Requests run on the pool's threads, each with its own connection; the main thread's
        # would sit idle for the worker's life (CONN_MAX_AGE is applied around requests only).
        from django.db import connections

        connections.close_all()
    # What the warm-up loaded lives as long as the worker: out of the collector's reach, so a
    # full collection walks only what requests create; and full collections made rarer.
    from core.collector import server_process_warmed

    server_process_warmed()
    worker.log.info("worker warmed up in %.0f ms", (time.monotonic() - started) * 1000)
