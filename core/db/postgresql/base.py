"""django-tenants' PostgreSQL backend: ``SET search_path`` only when the session's path changes,
and timestamps parsed by psycopg's C loader.

The search path
---------------
django-tenants (with ``TENANT_LIMIT_SET_CALLS``) issues ``SET search_path`` before the first
query after every ``set_tenant``, and the tenant middleware calls ``set_tenant`` twice on every
request (public, then the host's tenant): on a persistent connection every request paid a round
trip to set the path the session already had. This backend remembers the path the session was
last set to (``session_search_path``) and, when ``set_tenant`` selects that same path again,
keeps django-tenants' "already set" mark, so no ``SET`` is issued.

The remembered path is forgotten whenever PostgreSQL may have discarded it: a ``SET`` is
transactional, so on ``rollback`` and ``savepoint_rollback`` (django-tenants forgets its own mark
there too); on ``close`` and ``connect`` (a new session, from the server or from a pool); and when
a ``SET`` fails. It assumes one application connection is one PostgreSQL session: true with
Django's persistent connections and with psycopg's pool (a connection returned to it is closed
for Django). A transaction-pooling proxy (pgbouncer in ``transaction`` mode) would break that
assumption, and django-tenants' own mark as well; none is used.

Timestamps
----------

Django registers its own ``timestamptz`` loader on every connection: a subclass of psycopg's
pure-Python loader that replaces the parsed value's time zone with the connection's. Being a
Python class, it keeps psycopg's C loader out, and an inbox page of 40 rows (120 timestamps)
spent 0.8 ms parsing them (0.09 ms in C).

With ``USE_TZ`` and no ``TIME_ZONE`` in the database settings (ours), Django sets every session's
``TimeZone`` to ``UTC`` and its loader returns aware datetimes in ``datetime.timezone.utc``.
psycopg's C loader returns exactly the same values for a UTC session (the same ``tzinfo`` object,
the same ``DataError`` for infinity and for years outside 1-9999), so this backend registers it
instead. Any other configuration keeps Django's loader. A session whose ``TimeZone`` were changed
by hand would differ (the C loader answers the same instant in that zone; Django's relabels the
local time as UTC): nothing in the project does that.
"""

from __future__ import annotations

from datetime import UTC
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.backends.postgresql.base import ServerSideCursor
from django.utils.asyncio import async_unsafe
from django_tenants.postgresql_backend import base as tenants_base
from psycopg import adapt
from psycopg._cmodule import _psycopg

# psycopg's C implementation (psycopg-binary, or psycopg-c built locally); None in pure Python.
C_TIMESTAMPTZ_LOADER: type[adapt.Loader] | None = (
    _psycopg.TimestamptzLoader if _psycopg is not None else None
)


@lru_cache
def _adapters_with_c_timestamps(
    template: adapt.AdaptersMap, loader: type[adapt.Loader]
) -> adapt.AdaptersMap:
    """Django's adapters template for a UTC connection, ``timestamptz`` read by ``loader``."""
    adapters = adapt.AdaptersMap(template)
    adapters.register_loader("timestamptz", loader)
    return adapters


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    """django-tenants' wrapper; the session's search path kept across ``set_tenant`` calls that
    select it again, and timestamps in C when the connection's time zone is UTC."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The search path this connection's PostgreSQL session has, as far as a ``SET`` issued
        # here and not discarded since says; None when unknown. Set before django-tenants'
        # ``__init__``, which calls ``set_tenant``.
        self.session_search_path: list[str] | None = None
        super().__init__(*args, **kwargs)

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None:
        super().set_tenant(tenant, include_public)
        # django-tenants has just forgotten that the path is set; when the session already has
        # exactly the path this tenant needs, the ``SET`` it would issue changes nothing.
        if (
            self.session_search_path is not None
            and self.schema_name
            and self._get_cursor_search_paths() == self.session_search_path
        ):
            self.search_path_set_schemas = self.session_search_path

    def _handle_search_path(self, cursor: Any = None) -> None:
        if self._setting_search_path:  # re-entered while obtaining the cursor for the SET
            return
        super()._handle_search_path(cursor)
        # What django-tenants marks as set is what the session has (None when the SET failed).
        self.session_search_path = self.search_path_set_schemas

    @async_unsafe
    def connect(self) -> None:
        self.session_search_path = None
        super().connect()

    def close(self) -> None:
        self.session_search_path = None
        super().close()

    @async_unsafe
    def rollback(self) -> None:
        self.session_search_path = None
        super().rollback()

    @async_unsafe
    def savepoint_rollback(self, sid: str) -> None:
        try:
            super().savepoint_rollback(sid)
        finally:
            # After the rollback, as django-tenants does: its cursor may issue a SET first.
            self.session_search_path = None

    @property
    def c_timestamps(self) -> bool:
        """Whether this connection's ``timestamptz`` values are read by psycopg's C loader."""
        return C_TIMESTAMPTZ_LOADER is not None and settings.USE_TZ and self.timezone is UTC

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        if self.c_timestamps:
            params["context"] = _adapters_with_c_timestamps(params["context"], C_TIMESTAMPTZ_LOADER)
        return params

    @async_unsafe
    def create_cursor(self, name: str | None = None) -> Any:
        if not self.c_timestamps:
            return super().create_cursor(name)
        # Django's cursor, without its check of the loader's time zone (the C loader has no
        # ``timezone`` attribute; the connection's adapters are the UTC ones by construction).
        if name:
            if self.settings_dict["OPTIONS"].get("server_side_binding") is not True:
                return ServerSideCursor(  # type: ignore[call-arg]  # psycopg's Cursor init
                    self.connection,
                    name=name,
                    scrollable=False,
                    withhold=self.connection.autocommit,
                )
            return self.connection.cursor(
                name, scrollable=False, withhold=self.connection.autocommit
            )
        return self.connection.cursor()
