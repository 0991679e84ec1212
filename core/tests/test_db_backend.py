"""The database backend reads ``timestamptz`` in C, with exactly the values of Django's loader."""

import datetime

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import get_adapters_template
from django.db.utils import DataError as DjangoDataError
from psycopg.adapt import AdaptersMap
from psycopg.pq import Format

from core.db.postgresql.base import C_TIMESTAMPTZ_LOADER
from tenants.models import Tenant
from tenants.tenancy import public_scope

pytestmark = pytest.mark.django_db

TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid

# Literals read back through a UTC session: DST changes of America/Sao_Paulo (the clocks went
# forward at midnight until 2019, so 2018-11-04 00:30 does not exist there), microseconds, and the
# edges of Python's years 1-9999 (beyond them, and infinity, both loaders raise DataError).
LITERALS = [
    "2026-12-07 13:00:00.000001+00",
    "2026-12-07 10:00:00.999999-03",
    "2018-02-17 23:30:00 America/Sao_Paulo",
    "2018-02-18 00:30:00 America/Sao_Paulo",
    "2018-11-03 23:59:59.5 America/Sao_Paulo",
    "2018-11-04 00:30:00 America/Sao_Paulo",
    "2018-11-04 01:00:00 America/Sao_Paulo",
    "2019-02-16 23:30:00 America/Sao_Paulo",
    "1914-01-01 00:00:00 America/Sao_Paulo",
    "2000-02-29 12:34:56.789+05:30",
    "0001-01-01 00:00:00+00",
    "0001-01-01 00:00:00-03",
    "0001-01-01 02:00:00+03",
    "9999-12-31 23:59:59.999999+00",
    "9999-12-31 23:59:59.999999-03",
    "10000-01-01 00:00:00+00",
    "0001-01-01 00:00:00+00 BC",
    "infinity",
    "-infinity",
]


def _read(cursor, literal):
    """The value (or the error's type and text) the cursor reads for ``literal``."""
    try:
        cursor.execute("SELECT %s::timestamptz", [literal])
        return cursor.fetchone()[0]
    except (psycopg.DataError, DjangoDataError) as error:  # Django wraps psycopg's errors
        return ("DataError", str(error))


def test_the_connection_reads_timestamps_with_psycopgs_c_loader():
    assert C_TIMESTAMPTZ_LOADER is not None
    assert C_TIMESTAMPTZ_LOADER.__module__.endswith("._psycopg")  # compiled, not psycopg.types
    connection.ensure_connection()
    assert connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is (
        C_TIMESTAMPTZ_LOADER
    )
    with connection.cursor() as cursor:
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is (
            C_TIMESTAMPTZ_LOADER
        )


def test_values_are_those_of_djangos_loader():
    connection.ensure_connection()
    reference = psycopg.connect(
        **{
            **connection.get_connection_params(),
            "context": AdaptersMap(get_adapters_template(True, datetime.UTC)),
        }
    )
    try:
        reference.execute("SET TIME ZONE 'UTC'")
        with reference.cursor() as theirs, connection.cursor() as ours:
            for literal in LITERALS:
                expected = _read(theirs, literal)
                got = _read(ours, literal)
                assert got == expected, literal
                if isinstance(expected, datetime.datetime):
                    assert got.tzinfo is datetime.UTC, literal
                    assert expected.tzinfo is datetime.UTC, literal
    finally:
        reference.close()


def test_model_datetimes_are_aware_and_in_utc(alpha):
    opened = datetime.datetime(2018, 11, 4, 3, 30, 0, 123456, tzinfo=datetime.UTC)
    with public_scope():
        Tenant.objects.filter(pk=alpha.tenant.pk).update(created_at=opened)
        read = Tenant.objects.values_list("created_at", flat=True).get(pk=alpha.tenant.pk)
        instance = Tenant.objects.get(pk=alpha.tenant.pk)
        # A server-side (named) cursor: Django's iterator() in a transaction.
        iterated = list(
            Tenant.objects.filter(pk=alpha.tenant.pk)
            .values_list("created_at", flat=True)
            .iterator(chunk_size=10)
        )
    assert read == opened
    assert read.tzinfo is datetime.UTC
    assert instance.created_at == opened
    assert iterated == [opened]
    assert iterated[0].tzinfo is datetime.UTC
