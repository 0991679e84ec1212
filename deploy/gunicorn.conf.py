"""Gunicorn settings for the `web` service: all HTTP; websockets go to daphne (`websockets`).

Started as ``gunicorn -c deploy/gunicorn.conf.py tiktickets.wsgi:application``. Every number can be
overridden from the environment (GUNICORN_*), so the same image fits a bigger machine.
"""

from __future__ import annotations

import os


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
workers = _env_int("GUNICORN_WORKERS", max(2, min(2 * _cpu_count() + 1, 4)))
worker_class = "sync"

# Bounded worker lifetime: a worker is replaced after about this many requests (the jitter spreads
# restarts so workers never all restart together). With many tenant schemas, per-process caches
# (URL resolvers per urlconf, translations, content types) and the PostgreSQL backend that serves
# the worker grow with every tenant it touches; recycling the process returns that memory.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)

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
