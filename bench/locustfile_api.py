"""Locust users for B2: agents on the seeded tenant, through gunicorn, with tenant-bound JWTs.

``bench/api_load.py`` writes the data file named by ``BENCH_LOCUST_DATA``: the tenant host and,
per agent, an access token and public ids of tickets that agent may see. ``BENCH_LOCUST_THINK``
is ``1`` for the B2 mix with 1-5 s think time, ``0`` for saturation (no think time).

The B2 mix: inbox list 40%, open a ticket 25% (detail 12, messages 13),
send (a note) 15%, search 5%. The B2 "counters" share is not included: the API has no counters
endpoint yet, so its 15% goes to the inbox list's neighbours proportionally.
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import between, constant, task
from locust.contrib.fasthttp import FastHttpUser

with open(os.environ["BENCH_LOCUST_DATA"], encoding="utf-8") as handle:
    DATA = json.load(handle)
_AGENTS = itertools.cycle(DATA["agents"])
THINK = os.environ.get("BENCH_LOCUST_THINK", "1") == "1"
STATUSES = ["pending", "open", "open", "closed"]


class Agent(FastHttpUser):
    """One signed-in agent working the inbox."""

    wait_time = between(1, 5) if THINK else constant(0)

    def on_start(self) -> None:
        agent = next(_AGENTS)
        self.tickets = agent["tickets"]
        self.headers = {
            "Host": DATA["host"],
            "Authorization": f"Bearer {agent['access']}",
            # What nginx adds in front of gunicorn (SECURE_SSL_REDIRECT is on in production).
            "X-Forwarded-Proto": "https",
        }
        self.rng = random.Random(agent["seed"])

    def _ticket(self) -> str:
        return self.rng.choice(self.tickets)

    @task(40)
    def inbox_list(self) -> None:
        status = self.rng.choice(STATUSES)
        self.client.get(
            f"/api/v1/tickets/?status={status}", headers=self.headers, name="inbox list"
        )

    @task(12)
    def ticket_detail(self) -> None:
        self.client.get(
            f"/api/v1/tickets/{self._ticket()}/", headers=self.headers, name="ticket detail"
        )

    @task(13)
    def messages_page(self) -> None:
        self.client.get(
            f"/api/v1/tickets/{self._ticket()}/messages/",
            headers=self.headers,
            name="messages page",
        )

    @task(15)
    def send_note(self) -> None:
        self.client.post(
            f"/api/v1/tickets/{self._ticket()}/notes/",
            json={"body": f"bench note {self.rng.randrange(10**9)}"},
            headers=self.headers,
            name="send note",
        )

    @task(5)
    def search(self) -> None:
        term = self.rng.choice(["estorno", f"Cliente {self.rng.randrange(25000):05d}"])
        self.client.get(
            "/api/v1/tickets/", params={"search": term}, headers=self.headers, name="search"
        )
