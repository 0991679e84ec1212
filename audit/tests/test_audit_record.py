"""What an entry keeps: the actor from the request (user, API key, anonymous) or the system,
the IP address and user agent, changed fields as before/after with secrets masked; and each
entry stays in the schema it was written in."""

from __future__ import annotations

from django.test import RequestFactory

from audit.models import ActorKind, AuditEntry
from audit.services import MASK, Actor, actor_for, audit_record, changes_diff
from tenants.tenancy import public_scope, tenant_scope


class _User:
    """Just what the audit helpers read of a user (audit imports no higher app)."""

    is_authenticated = True

    def __init__(self, pk: int, email: str) -> None:
        self.pk, self.email = pk, email


def test_changes_keep_only_changed_fields_and_mask_secrets():
    diff = changes_diff(
        {"name": "Old", "color": "#fff", "password": "hunter2", "token": "a", "pin": "1"},
        {"name": "New", "color": "#fff", "password": "hunter3", "token": "b", "pin": "2"},
        secret={"pin"},
    )
    assert diff == {
        "name": {"before": "Old", "after": "New"},
        "password": {"before": MASK, "after": MASK},
        "token": {"before": MASK, "after": MASK},
        "pin": {"before": MASK, "after": MASK},
    }


def test_an_entry_never_stores_a_secret_passed_in_changes_or_extra(alpha):
    with tenant_scope(alpha.tenant):
        entry = audit_record(
            "connection.updated",
            actor=Actor(ActorKind.SYSTEM),
            changes={"access_token": {"before": "tok-1", "after": "tok-2"}},
            extra={"credentials": {"bot_token": "123:abc"}, "auth_header": "Bearer x"},
        )
        entry.refresh_from_db()
    stored = str(entry.changes) + str(entry.extra)
    assert "tok-1" not in stored
    assert "tok-2" not in stored
    assert "123:abc" not in stored
    assert "Bearer x" not in stored
    assert entry.changes["access_token"] == {"before": MASK, "after": MASK}


def test_the_request_gives_the_actor_ip_and_user_agent(alpha):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Firefox/1")
    request.user = _User(7, "ana@alpha.test")
    with tenant_scope(alpha.tenant):
        entry = audit_record("tag.deleted", request=request)
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == ("user", "7", "ana@alpha.test")
    assert entry.ip == "203.0.113.9"
    assert entry.user_agent == "Firefox/1"


def test_without_a_request_the_system_acts_and_an_unknown_address_is_left_empty(alpha):
    with tenant_scope(alpha.tenant):
        entry = audit_record("tag.deleted")
        request = RequestFactory().get("/", REMOTE_ADDR="unknown")
        anonymous = audit_record("auth.sign_in_failed", request=request)
    assert entry.actor_kind == ActorKind.SYSTEM
    assert entry.ip is None
    assert anonymous.actor_kind == ActorKind.ANONYMOUS
    assert anonymous.ip is None


def test_a_user_in_the_public_schema_is_platform_staff(alpha):
    with public_scope():
        assert actor_for(_User(1, "root@platform.test")).kind == ActorKind.PLATFORM_STAFF
    with tenant_scope(alpha.tenant):
        assert actor_for(_User(1, "admin@alpha.test")).kind == ActorKind.USER


def test_entries_stay_in_the_schema_they_were_written_in(alpha, beta):
    with tenant_scope(alpha.tenant):
        audit_record("tag.created", extra={"name": "alpha-only"})
    with tenant_scope(beta.tenant):
        audit_record("tag.created", extra={"name": "beta-only"})
    with public_scope():
        audit_record("tenant.suspended", extra={"name": "platform-only"})

    def names() -> set[str]:
        return {entry.extra.get("name") for entry in AuditEntry.objects.all()}

    with tenant_scope(alpha.tenant):
        assert "alpha-only" in names()
        assert not {"beta-only", "platform-only"} & names()
    with tenant_scope(beta.tenant):
        assert "beta-only" in names()
        assert not {"alpha-only", "platform-only"} & names()
    with public_scope():
        assert "platform-only" in names()
        assert not {"alpha-only", "beta-only"} & names()
