"""Tenants' files on either backend: the local disk, or a real S3-compatible server on loopback.

The server is moto's server mode (a werkzeug app speaking the S3 REST API) in a thread of the
test process, so app processes the tests start (daphne, Celery) reach it too. Each test that
uses the object store gets a bucket of its own; the settings point ``STORAGES["default"]`` at
it exactly as ``MEDIA_STORAGE=s3`` does in production.

The media tests read what the app served through ``media_fetch``: a streamed body on the local
disk, or the redirect followed to the store with a plain HTTP client (no credentials), as a
browser would.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import Storage
from django.utils.datastructures import CaseInsensitiveMapping

BACKENDS = ("local", "s3")
REGION = "us-east-1"


@dataclass(frozen=True)
class ObjectStore:
    """An S3-compatible server on loopback and the credentials the app signs with."""

    endpoint_url: str
    access_key: str = "tiktickets-test"
    secret_key: str = "tiktickets-test-secret"  # noqa: S105  (a test server's key)

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=REGION,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def bucket_create(self) -> str:
        name = f"tt-media-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def storage_settings(self, bucket: str, *, expiry: int = 60) -> dict[str, Any]:
        """``STORAGES["default"]`` as ``MEDIA_STORAGE=s3`` builds it (settings/base.py)."""
        return {
            "BACKEND": "core.object_storage.PrivateMediaStorage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": self.endpoint_url,
                "region_name": REGION,
                "access_key": self.access_key,
                "secret_key": self.secret_key,
                "addressing_style": "path",
                "querystring_expire": expiry,
            },
        }

    def environment(self, bucket: str) -> dict[str, str]:
        """The same, as the environment of an app process."""
        return {
            "MEDIA_STORAGE": "s3",
            "MEDIA_S3_BUCKET": bucket,
            "MEDIA_S3_ENDPOINT_URL": self.endpoint_url,
            "MEDIA_S3_REGION": REGION,
            "MEDIA_S3_ACCESS_KEY_ID": self.access_key,
            "MEDIA_S3_SECRET_ACCESS_KEY": self.secret_key,
            "MEDIA_S3_ADDRESSING_STYLE": "path",
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def object_store_running() -> Iterator[ObjectStore]:
    """moto's S3-compatible server on a free loopback port while the block runs."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield ObjectStore(endpoint_url=f"http://127.0.0.1:{port}")
    finally:
        server.stop()


def stored_names(storage: Storage, folder: str = "tenants") -> list[str]:
    """Every file under ``folder`` of a storage, through the storage's own API (both backends)."""
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:  # the local disk; the object store lists a missing prefix empty
        return []
    found = [f"{folder}/{name}" for name in files]
    for directory in directories:
        found += stored_names(storage, f"{folder}/{directory}")
    return sorted(found)


@dataclass(frozen=True)
class Fetched:
    """What a browser ends up with: status, body and the headers of the final answer."""

    status: int
    body: bytes
    headers: CaseInsensitiveMapping[str]
    redirected_to: str = ""


def _headers(items: Any) -> CaseInsensitiveMapping[str]:
    return CaseInsensitiveMapping(dict(items))


def store_get(url: str) -> Fetched:
    """A plain GET of a URL (no cookies, no credentials), as a browser following a redirect."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310  (loopback)
            return Fetched(answer.status, answer.read(), _headers(answer.headers.items()), url)
    except urllib.error.HTTPError as exc:
        return Fetched(exc.code, exc.read(), _headers(exc.headers.items()), url)


def media_fetch(client: Any, url: str, **extra: Any) -> Fetched:
    """GET a media URL of the app with ``client`` (``extra``: headers and the like, as the test
    client takes them); a redirect (object store) is followed to the store without the app's
    cookies or credentials."""
    response = client.get(url, **extra)
    if response.status_code in (301, 302, 303, 307):
        return store_get(response["Location"])
    body = b"".join(response.streaming_content) if response.streaming else bytes(response.content)
    return Fetched(response.status_code, body, _headers(response.items()))
