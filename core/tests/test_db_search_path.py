"""The backend issues ``SET search_path`` only when the session's path changes, and never trusts a
path PostgreSQL may have discarded (rollback, savepoint rollback, a closed connection).

Each read names no schema: the rows it returns say which tenant's tables the session's path
really selects. The admins of alpha and beta are the tenants' own rows (``admin@<slug>.test``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from tenants.tenancy import tenant_scope

pytestmark = pytest.mark.django_db


def _admins(conn: Any) -> list[str]:
    """The admin emails of the tenant whose tables the session's search path selects."""
    with conn.cursor() as cursor:
        cursor.execute("SELECT email FROM accounts_user WHERE email LIKE 'admin@%%' ORDER BY email")
        return [row[0] for row in cursor.fetchall()]


def _sets(context: CaptureQueriesContext) -> int:
    return sum(q["sql"].startswith("SET search_path") for q in context.captured_queries)


def _read_in(conn: Any, tenant: Any) -> tuple[list[str], int]:
    """Select ``tenant`` on ``conn`` (public first, as the tenant middleware does on every
    request), read its admins; returns them and the ``SET search_path`` statements issued."""
    with CaptureQueriesContext(conn) as context:
        conn.set_schema_to_public()
        conn.set_tenant(tenant)
        admins = _admins(conn)
    return admins, _sets(context)


class _Undo(Exception):
    pass


@contextmanager
def _rolled_back() -> Iterator[None]:
    """An atomic block (a savepoint in the test's transaction) rolled back once its body ran."""
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


@pytest.fixture
def own_session(alpha, beta) -> Iterator[Any]:
    """A second connection to the test database, outside the test's transaction, so that it
    can commit and roll back transactions of its own (it only reads committed rows)."""
    conn = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        yield conn
    finally:
        conn.close()


def test_selecting_the_sessions_tenant_again_issues_no_set(alpha):
    assert _read_in(connection, alpha.tenant) == (["admin@alpha.test"], 1)
    # What every request after the first does on a persistent connection.
    assert _read_in(connection, alpha.tenant) == (["admin@alpha.test"], 0)
    assert _read_in(connection, alpha.tenant) == (["admin@alpha.test"], 0)


def test_two_tenants_alternating_on_one_connection_read_their_own_rows(alpha, beta):
    for _ in range(3):
        assert _read_in(connection, alpha.tenant) == (["admin@alpha.test"], 1)
        assert _read_in(connection, beta.tenant) == (["admin@beta.test"], 1)
    assert _read_in(connection, beta.tenant) == (["admin@beta.test"], 0)
    with CaptureQueriesContext(connection) as context:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schemas(false)")
            assert cursor.fetchone()[0] == ["public"]
    assert _sets(context) == 1


def test_a_rolled_back_set_is_issued_again(own_session, alpha, beta):
    conn = own_session
    assert _read_in(conn, alpha.tenant) == (["admin@alpha.test"], 1)
    conn.set_autocommit(False)
    try:
        assert _read_in(conn, beta.tenant) == (["admin@beta.test"], 1)
        conn.rollback()  # the session's path is alpha's again
        assert _read_in(conn, beta.tenant) == (["admin@beta.test"], 1)
        conn.commit()  # now beta's for good
    finally:
        conn.set_autocommit(True)
    assert _read_in(conn, beta.tenant) == (["admin@beta.test"], 0)
    assert _read_in(conn, alpha.tenant) == (["admin@alpha.test"], 1)


def test_a_set_undone_by_a_savepoint_rollback_is_issued_again(alpha, beta):
    assert _read_in(connection, alpha.tenant) == (["admin@alpha.test"], 1)
    sid = transaction.savepoint()
    assert _read_in(connection, beta.tenant) == (["admin@beta.test"], 1)
    transaction.savepoint_rollback(sid)  # the session's path is alpha's again
    assert _read_in(connection, beta.tenant) == (["admin@beta.test"], 1)
    assert _read_in(connection, beta.tenant) == (["admin@beta.test"], 0)


def test_atomic_blocks_read_each_tenants_own_rows(alpha, beta):
    assert _read_in(connection, alpha.tenant) == (["admin@alpha.test"], 1)
    with _rolled_back():
        assert _read_in(connection, beta.tenant) == (["admin@beta.test"], 1)
    # Rolled back to the savepoint (alpha's path again), then released by Django on a cursor
    # that sets the selected tenant's (beta's) path again.
    assert _read_in(connection, beta.tenant)[0] == ["admin@beta.test"]
    assert _read_in(connection, alpha.tenant) == (["admin@alpha.test"], 1)
    # Leaves beta's scope (alpha selected), then rolls back to the savepoint (alpha's path).
    with _rolled_back(), tenant_scope(beta.tenant):
        assert _admins(connection) == ["admin@beta.test"]
    assert _admins(connection) == ["admin@alpha.test"]
    assert _read_in(connection, beta.tenant)[0] == ["admin@beta.test"]
    # A released savepoint keeps its SET: nothing to issue again.
    with transaction.atomic():
        assert _read_in(connection, alpha.tenant) == (["admin@alpha.test"], 1)
        with transaction.atomic():
            assert _read_in(connection, beta.tenant) == (["admin@beta.test"], 1)
        assert _read_in(connection, beta.tenant) == (["admin@beta.test"], 0)
    assert _read_in(connection, beta.tenant) == (["admin@beta.test"], 0)


def test_a_savepoint_rollback_forgets_a_set_issued_before_it(alpha, beta):
    """Rolled back to a savepoint taken before the SET, in an outer block: forgotten too."""
    with transaction.atomic():
        assert _read_in(connection, alpha.tenant) == (["admin@alpha.test"], 1)
        sid = transaction.savepoint()
        assert _read_in(connection, beta.tenant) == (["admin@beta.test"], 1)
        transaction.savepoint_rollback(sid)
        assert _read_in(connection, alpha.tenant) == (["admin@alpha.test"], 1)
        assert _read_in(connection, beta.tenant) == (["admin@beta.test"], 1)


def test_a_closed_connection_sets_the_path_of_its_new_session(own_session, alpha):
    conn = own_session
    assert _read_in(conn, alpha.tenant) == (["admin@alpha.test"], 1)
    assert _read_in(conn, alpha.tenant) == (["admin@alpha.test"], 0)
    conn.close()
    assert _read_in(conn, alpha.tenant) == (["admin@alpha.test"], 1)
    assert _read_in(conn, alpha.tenant) == (["admin@alpha.test"], 0)


def test_a_failed_transaction_does_not_keep_a_path(own_session, alpha, beta):
    """A SET that fails (the transaction already aborted) is not remembered as the path."""
    conn = own_session
    assert _read_in(conn, alpha.tenant) == (["admin@alpha.test"], 1)
    conn.set_autocommit(False)
    try:
        with conn.cursor() as cursor, pytest.raises(Exception):  # noqa: B017, PT011
            cursor.execute("SELECT 1/0")
        conn.set_tenant(beta.tenant)
        with pytest.raises(Exception):  # noqa: B017, PT011  # aborted: every statement fails
            _admins(conn)
        conn.rollback()
    finally:
        conn.set_autocommit(True)
    assert _read_in(conn, beta.tenant) == (["admin@beta.test"], 1)
    assert _read_in(conn, beta.tenant) == (["admin@beta.test"], 0)
