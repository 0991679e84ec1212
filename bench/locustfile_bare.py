"""Locust users for the bare HTTP ceiling (raw limit): GET / as fast as possible."""

from locust import task
from locust.contrib.fasthttp import FastHttpUser


class BareUser(FastHttpUser):
    """No think time: every user sends its next request as soon as the last one answered."""

    @task
    def root(self) -> None:
        self.client.get("/", name="bare GET /")
