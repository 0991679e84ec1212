"""Tenants' files on an S3-compatible object store (AWS S3, MinIO, Ceph, ...), kept private.

``STORAGES["default"]`` is either the local disk (``FileSystemStorage``, the default) or
``PrivateMediaStorage`` (``MEDIA_STORAGE=s3``, settings in ``tiktickets/settings/base.py``). Names
are the same on both: ``tenants/<schema>/<area>/<name>`` from ``tenants.tenancy.tenant_media_path``,
which on the object store is the object's key, so each tenant's objects share one key prefix.

Nothing in the bucket is public: objects are written without an ACL (the bucket's private
default) and read back by the app through its credentials, or by a browser through a signed URL
that names one key, expires after ``MEDIA_URL_EXPIRY_SECONDS`` and fixes the response's type and
disposition. Views hand such a URL out only after the same permission and tenant checks as the
local-disk stream (``tickets.media.file_response``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.files.storage import Storage
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class PrivateMediaStorage(S3Storage):
    """A private bucket: no ACL on objects, unique names (never overwrite), signed URLs only.

    ``public_endpoint_url`` is where browsers reach the store when the app reaches it at another
    address (``http://minio:9000`` inside docker compose, ``https://media.example.org`` outside):
    signed URLs are made for that host; reads and writes use ``endpoint_url``.
    """

    def __init__(self, *, public_endpoint_url: str = "", **settings: Any) -> None:
        settings.update(
            querystring_auth=True,
            default_acl=None,
            file_overwrite=False,
            custom_domain=None,
            cloudfront_key_id=None,
            cloudfront_key=None,
        )
        settings.setdefault("signature_version", "s3v4")
        super().__init__(**settings)
        self.public_endpoint_url = public_endpoint_url.rstrip("/")
        self._signing_client: Any = None

    def _signer(self) -> Any:
        """The client whose endpoint browsers can reach; signing is local (no request)."""
        if not self.public_endpoint_url or self.public_endpoint_url == self.endpoint_url:
            return self.connection.meta.client
        if self._signing_client is None:
            self._signing_client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
                verify=self.verify,
            )
        return self._signing_client

    def url(
        self,
        name: str,
        parameters: dict[str, str] | None = None,
        expire: int | None = None,
        http_method: str | None = None,
    ) -> str:
        """A signed GET URL for one object, valid ``expire`` seconds (the configured expiry)."""
        params = dict(parameters or {})
        params["Bucket"] = self.bucket_name
        params["Key"] = self._normalize_name(clean_name(name))
        url: str = self._signer().generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=self.querystring_expire if expire is None else expire,
            HttpMethod=http_method,
        )
        return url

    def signed_download_url(self, name: str, *, filename: str, mime: str, inline: bool) -> str:
        """A signed URL whose response carries our type and disposition, whatever the object's
        own metadata says, and is not kept by shared caches."""
        return self.url(
            name,
            parameters={
                "ResponseContentType": mime,
                "ResponseContentDisposition": content_disposition_header(
                    as_attachment=not inline, filename=filename
                )
                or "attachment",
                "ResponseCacheControl": "private, no-store",
            },
        )


def signed_url_storage(storage: Storage) -> PrivateMediaStorage | None:
    """The storage when it serves files by signed URLs (object store), else ``None`` (the local
    disk, whose files the app streams itself)."""
    return storage if isinstance(storage, PrivateMediaStorage) else None


def media_origin(storage: Storage) -> str:
    """The origin (``scheme://host[:port]``) signed URLs point to, for a page's
    Content-Security-Policy; empty for the local disk (files come from the app's own origin)."""
    signer = signed_url_storage(storage)
    if signer is None:
        return ""
    parts = urlsplit(signer.url("tenants/origin-probe"))
    return f"{parts.scheme}://{parts.netloc}"
