"""Flows: create, change settings, save a graph as a new version (validated), roll back,
duplicate, delete, upload the files nodes send, test-run, import and export the original JSON.

Graphs are never changed in place: every save is a new ``FlowVersion``, so tickets inside the
bot finish on the version they started on.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import users_active
from audit.services import audit_record, changes_diff, snapshot
from automation.errors import (
    ConnectionNotFound,
    FlowImportUnmapped,
    FlowInvalid,
    TestContactInvalid,
)
from automation.flows.engine import RunState, flow_answer, flow_start
from automation.flows.graph import graph_empty, graph_references, nodes_by_id
from automation.flows.legacy import legacy_export, legacy_import
from automation.flows.validation import GraphError, flow_graph_errors
from automation.models import ConnectionFlow, Flow, FlowMedia, FlowVersion
from automation.selectors.flows import flow_references
from connections.models import ChannelConnection
from contacts.errors import InvalidPhone
from contacts.phone_numbers import phone_normalize, tenant_phone_region
from core.exceptions import FieldValidationError
from tickets.media import media_validate
from tickets.models import Queue

MAX_TEST_CONTACTS = 20


def flow_graph_validate(*, graph: Any) -> list[GraphError]:
    """Every problem of ``graph`` in the current tenant (queues, agents, files checked)."""
    return flow_graph_errors(graph, flow_references(graph))


def flow_graph_validate_or_raise(*, graph: Any) -> None:
    """400 ``flow_invalid`` with every problem of ``graph`` (its node and field), if any."""
    _raise_if_invalid(graph)


def _raise_if_invalid(graph: Any) -> None:
    errors = flow_graph_validate(graph=graph)
    if errors:
        raise FlowInvalid(extra={"errors": [e.as_dict() for e in errors]})


def _test_contacts_clean(numbers: Sequence[str]) -> list[str]:
    if len(numbers) > MAX_TEST_CONTACTS:
        raise TestContactInvalid(extra={"fields": {"test_contacts": [_("Up to 20 numbers.")]}})
    region = tenant_phone_region()
    cleaned: list[str] = []
    for number in numbers:
        try:
            e164 = phone_normalize(str(number), region=region)
        except InvalidPhone as exc:
            raise TestContactInvalid(extra={"fields": {"test_contacts": [str(number)]}}) from exc
        if e164 not in cleaned:
            cleaned.append(e164)
    return cleaned


def _name_clean(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise FieldValidationError({"name": [_("Give the flow a name.")]})
    return name[:120]


def _connections_set(flow: Flow, connection_ids: Sequence[Any]) -> None:
    connections = list(ChannelConnection.objects.filter(public_id__in=list(connection_ids)))
    if len(connections) != len(set(map(str, connection_ids))):
        raise ConnectionNotFound()
    ConnectionFlow.objects.filter(flow=flow).exclude(connection__in=connections).delete()
    for connection in connections:
        ConnectionFlow.objects.update_or_create(connection=connection, defaults={"flow": flow})


def _default_set(flow: Flow, is_default: bool) -> None:
    if is_default:
        Flow.objects.filter(is_default=True).exclude(pk=flow.pk).update(
            is_default=False, updated_at=timezone.now()
        )
    flow.is_default = is_default


def _version_add(flow: Flow, graph: dict[str, Any], by: User | None, note: str) -> FlowVersion:
    # The flow row is locked, so two saves never pick the same number.
    last = flow.versions.aggregate(last=Max("number"))["last"] or 0
    version = FlowVersion.objects.create(
        flow=flow, number=last + 1, graph=graph, created_by=by, note=note[:200]
    )
    flow.current_version = version
    flow.save(update_fields=["current_version", "updated_at"])
    return version


def _locked(flow: Flow) -> Flow:
    return Flow.objects.select_for_update().get(pk=flow.pk)


@transaction.atomic
def flow_create(
    *,
    by: User,
    name: str,
    graph: dict[str, Any] | None = None,
    is_active: bool = True,
    is_default: bool = False,
    test_contacts: Sequence[str] = (),
    connection_ids: Sequence[Any] = (),
) -> Flow:
    """A new flow with its first version (``graph``, validated, or one empty step)."""
    flow = _flow_new(
        by=by,
        name=name,
        graph=graph,
        is_active=is_active,
        is_default=is_default,
        test_contacts=test_contacts,
        connection_ids=connection_ids,
    )
    audit_record("flow.created", actor=by, obj=flow)
    return flow


def _flow_new(
    *,
    by: User,
    name: str,
    graph: dict[str, Any] | None,
    is_active: bool,
    is_default: bool = False,
    test_contacts: Sequence[str] = (),
    connection_ids: Sequence[Any] = (),
) -> Flow:
    """A new flow and its first version, unrecorded: each caller records its own action."""
    graph = copy.deepcopy(graph) if graph is not None else graph_empty(_("Start"))
    _raise_if_invalid(graph)
    flow = Flow(name=_name_clean(name), is_active=is_active)
    flow.test_contacts = _test_contacts_clean(test_contacts)
    _default_set(flow, is_default)
    flow.save()
    _version_add(flow, graph, by, "")
    _connections_set(flow, connection_ids)
    return flow


# The settings a change records (the test contacts are phone numbers: only their count is kept).
_AUDITED_SETTINGS = ("name", "is_active", "is_default")


def _connection_ids(flow: Flow) -> list[str]:
    return sorted(
        str(public_id)
        for public_id in ConnectionFlow.objects.filter(flow=flow).values_list(
            "connection__public_id", flat=True
        )
    )


_UNSET: Any = object()


@transaction.atomic
def flow_update(
    *,
    flow: Flow,
    by: User,
    name: str = _UNSET,
    is_active: bool = _UNSET,
    is_default: bool = _UNSET,
    test_contacts: Sequence[str] = _UNSET,
    connection_ids: Sequence[Any] = _UNSET,
) -> Flow:
    """Change a flow's settings; the graph is only ever changed by ``flow_graph_save``, so a
    settings change can never wipe it."""
    flow = _locked(flow)
    before = snapshot(flow, _AUDITED_SETTINGS)
    before["test_contacts"] = len(flow.test_contacts)
    if connection_ids is not _UNSET:
        before["connections"] = _connection_ids(flow)
    if name is not _UNSET:
        flow.name = _name_clean(name)
    if is_active is not _UNSET:
        flow.is_active = is_active
    if is_default is not _UNSET:
        _default_set(flow, is_default)
    if test_contacts is not _UNSET:
        flow.test_contacts = _test_contacts_clean(test_contacts)
    flow.save()
    after = snapshot(flow, _AUDITED_SETTINGS)
    after["test_contacts"] = len(flow.test_contacts)
    if connection_ids is not _UNSET:
        _connections_set(flow, connection_ids)
        after["connections"] = _connection_ids(flow)
    diff = changes_diff(before, after)
    if diff:
        audit_record("flow.updated", actor=by, obj=flow, changes=diff)
    return flow


@transaction.atomic
def flow_graph_save(*, flow: Flow, by: User, graph: Any, note: str = "") -> FlowVersion:
    """Validate ``graph`` and save it as the flow's new current version (400 ``flow_invalid``
    with each problem's node and field, nothing stored)."""
    _raise_if_invalid(graph)
    version = _version_add(_locked(flow), copy.deepcopy(graph), by, note)
    audit_record("flow.saved", actor=by, obj=version.flow, extra={"version": version.number})
    return version


@transaction.atomic
def flow_rollback(*, flow: Flow, by: User, version: FlowVersion) -> FlowVersion:
    """Make an earlier version current again, as a new version (the history stays whole). The
    graph is validated again: a queue it names may have been deleted since."""
    _raise_if_invalid(version.graph)
    note = _("Rollback to version %(number)s") % {"number": version.number}
    new = _version_add(_locked(flow), copy.deepcopy(version.graph), by, note)
    audit_record(
        "flow.rolled_back",
        actor=by,
        obj=new.flow,
        extra={"version": new.number, "restored_version": version.number},
    )
    return new


@transaction.atomic
def flow_duplicate(*, flow: Flow, by: User, name: str = "") -> Flow:
    """A copy of the flow's current graph and test contacts, inactive, not the default and on
    no connection (so it changes nothing until the admin turns it on)."""
    source = flow.current_version.graph if flow.current_version else graph_empty(_("Start"))
    copy_name = name.strip() or _("%(name)s (copy)") % {"name": flow.name}
    duplicate = Flow.objects.create(
        name=_name_clean(copy_name), is_active=False, test_contacts=list(flow.test_contacts)
    )
    _version_add(duplicate, copy.deepcopy(source), by, "")
    audit_record(
        "flow.duplicated",
        actor=by,
        obj=duplicate,
        extra={"source_id": str(flow.pk), "source_name": flow.name},
    )
    return duplicate


@transaction.atomic
def flow_delete(*, flow: Flow, by: User) -> None:
    """Soft delete: no new ticket gets it any more (connections and the default let go of it);
    tickets inside it finish on their version."""
    flow = _locked(flow)
    flow.deleted_at = timezone.now()
    flow.is_default = False
    flow.is_active = False
    flow.save(update_fields=["deleted_at", "is_default", "is_active", "updated_at"])
    ConnectionFlow.objects.filter(flow=flow).delete()
    audit_record("flow.deleted", actor=by, obj=flow)


@transaction.atomic
def flow_media_upload(*, by: User, file: File) -> FlowMedia:
    """Store a file a media interaction can send (same size and type rules as agents' files)."""
    info = media_validate(file=file)
    media = FlowMedia(name=info.name, mime=info.mime, size=info.size, kind=info.kind)
    media.file.save(info.name, file, save=False)
    media.save()
    return media


def flow_test_run(
    *, graph: dict[str, Any], state: dict[str, Any] | None, text: str
) -> dict[str, Any]:
    """What the bot would do: ``state`` None starts the flow (as a new ticket would), else the
    answer ``text`` is read at ``state`` (``{"node": id, "retries": n}``). Nothing is stored
    and nothing is sent."""
    if state is None:
        outcome = flow_start(graph)
    else:
        node, retries = state.get("node"), state.get("retries", 0)
        if node not in nodes_by_id(graph) or not isinstance(retries, int) or retries < 0:
            raise FieldValidationError({"state": [_("Not a step of this flow.")]})
        outcome = flow_answer(graph, RunState(str(node), retries), text)
    return {
        "state": (
            {"node": outcome.state.node_id, "retries": outcome.state.retries}
            if outcome.state
            else None
        ),
        "replies": outcome.sends,
        "steps": outcome.steps,
        "handoff": outcome.handoff,
    }


# --------------------------------------------------------------------------- original JSON


def _names_map(
    given: dict[str, str], model: type[Queue] | type[User]
) -> tuple[dict[str, int], list[str]]:
    """Original id -> local id, matched by name (queues) or name/e-mail (users), ignoring
    case; and the original ids nobody matches."""
    resolved: dict[str, int] = {}
    missing: list[str] = []
    for original_id, name in given.items():
        wanted = (name or "").strip()
        found_pk: int | None
        if model is Queue:
            found_pk = (
                Queue.objects.filter(name__iexact=wanted, is_active=True)
                .values_list("pk", flat=True)
                .first()
            )
        else:
            users = User.objects.filter(is_active=True)
            found_pk = (
                users.filter(email__iexact=wanted).values_list("pk", flat=True).first()
                or users.filter(name__iexact=wanted).values_list("pk", flat=True).first()
            )
        if wanted and found_pk is not None:
            resolved[str(original_id)] = found_pk
        else:
            missing.append(str(original_id))
    return resolved, missing


@transaction.atomic
def flow_import(
    *,
    by: User,
    name: str,
    data: Any,
    queue_names: dict[str, str],
    user_names: dict[str, str],
    confirm: bool,
) -> tuple[dict[str, Any], Flow | None]:
    """Read a flow of the original system (``{nodeList, lineList}``), its queue and user ids
    mapped to ours by name; ``(preview, flow)``.

    Without ``confirm`` nothing is stored: the preview says which local queue and user each
    original id becomes, the graph, and its problems (the confirmation screen). With it, the
    flow is created (400 when an id is unmapped or the graph is invalid). Files that come
    inside the JSON (``data.media`` in base64) are stored as flow files.
    """
    queues, _unknown = _names_map(queue_names, Queue)
    users, _unknown = _names_map(user_names, User)
    graph, needed = legacy_import(data, queues=queues, users=users)
    preview: dict[str, Any] = {
        "queues": queues,
        "users": users,
        "unmapped_queues": sorted(set(needed["queues"]) - set(queues)),
        "unmapped_users": sorted(set(needed["users"]) - set(users)),
        "graph": graph,
    }
    if not confirm:
        preview["problems"] = [e.as_dict() for e in _preview_errors(graph)]
        return preview, None
    if preview["unmapped_queues"] or preview["unmapped_users"]:
        raise FlowImportUnmapped(
            extra={"queues": preview["unmapped_queues"], "users": preview["unmapped_users"]}
        )
    flow = _flow_new(by=by, name=name, graph=_files_store(graph, by), is_active=False)
    audit_record(
        "flow.imported", actor=by, obj=flow, extra={"queues": len(queues), "users": len(users)}
    )
    return preview, flow


@dataclass(frozen=True)
class ImportTarget:
    """A queue or user id an original flow names: the name its JSON gives it (our export lists
    them; the original system's JSON has none), and the local one of that name, if any."""

    original_id: str
    name: str
    match: int | None


def _names_given(data: Any, key: str, fields: tuple[str, ...]) -> dict[str, str]:
    """``{id: name}`` from the ``queues``/``users`` lists an exported JSON carries (the first
    of ``fields`` that is set)."""
    rows = data.get(key) if isinstance(data, dict) else None
    names: dict[str, str] = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and row.get("id") is not None:
            name = next((str(row[f]) for f in fields if row.get(f)), "")
            names[str(row["id"])] = name[:254]
    return names


def flow_import_targets(*, data: Any) -> dict[str, list[ImportTarget]]:
    """The queue and user ids an original flow names, each with its name and the local queue
    or user of that name (the confirmation screen pre-selects it). Stores nothing; a JSON that
    is not such a flow is refused (400)."""
    _graph, needed = legacy_import(data, queues={}, users={})
    result: dict[str, list[ImportTarget]] = {}
    for kind, model, fields in (
        ("queues", Queue, ("name",)),
        ("users", User, ("email", "name")),
    ):
        given = _names_given(data, kind, fields)
        wanted = {original: given.get(original, "") for original in needed[kind]}
        matches, _missing = _names_map(wanted, model)
        shown = _names_given(data, kind, ("name", "email"))
        result[kind] = [
            ImportTarget(original, shown.get(original, ""), matches.get(original))
            for original in needed[kind]
        ]
    return result


@transaction.atomic
def flow_import_mapped(
    *,
    by: User,
    name: str,
    data: Any,
    queues: dict[str, int | None],
    users: dict[str, int | None],
) -> Flow:
    """Create (inactive) the flow of an original JSON with the admin's choice for each queue
    and user id it names: a local queue or user, or None (its actions then leave the ticket
    waiting in its queue for any agent).

    Every id must be chosen, and a choice must be an active queue or user of this tenant:
    otherwise a 400 naming ``queues.<id>`` / ``users.<id>``, and nothing is stored.
    """
    _graph, needed = legacy_import(data, queues={}, users={})
    known = {
        "queues": set(
            Queue.objects.filter(is_active=True)
            .filter(pk__in=[v for v in queues.values() if v is not None])
            .values_list("pk", flat=True)
        ),
        "users": set(
            users_active()
            .filter(pk__in=[v for v in users.values() if v is not None])
            .values_list("pk", flat=True)
        ),
    }
    errors: dict[str, list[str]] = {}
    for kind, chosen, missing, foreign in (
        ("queues", queues, _("Choose a queue, or none."), _("Not a queue of this account.")),
        ("users", users, _("Choose a user, or none."), _("Not a user of this account.")),
    ):
        for original in needed[kind]:
            if original not in chosen:
                errors[f"{kind}.{original}"] = [missing]
            elif chosen[original] is not None and chosen[original] not in known[kind]:
                errors[f"{kind}.{original}"] = [foreign]
    if errors:
        raise FieldValidationError(errors)
    graph, _needed = legacy_import(
        data,
        queues={k: queues[k] for k in needed["queues"]},
        users={k: users[k] for k in needed["users"]},
    )
    flow = _flow_new(by=by, name=name, graph=_files_store(graph, by), is_active=False)
    audit_record(
        "flow.imported",
        actor=by,
        obj=flow,
        extra={"queues": len(needed["queues"]), "users": len(needed["users"])},
    )
    return flow


_EMBEDDED = "embedded-file"


def _preview_errors(graph: dict[str, Any]) -> list[GraphError]:
    """The problems the graph will have once the files that came inside it are stored."""
    preview = copy.deepcopy(graph)
    for node in preview.get("nodes", []):
        for interaction in node.get("interactions", []):
            if interaction.get("type") == "media" and interaction.pop("file_base64", None):
                interaction["media"] = _EMBEDDED
    refs = flow_references(preview)
    refs = replace(refs, media_ids=refs.media_ids | {_EMBEDDED})
    return flow_graph_errors(preview, refs)


def _files_store(graph: dict[str, Any], by: User) -> dict[str, Any]:
    stored = copy.deepcopy(graph)
    for node in stored.get("nodes", []):
        for interaction in node.get("interactions", []):
            encoded = interaction.pop("file_base64", None)
            if interaction.get("type") != "media" or not encoded:
                continue
            if "," in encoded and encoded.startswith("data:"):
                encoded = encoded.split(",", 1)[1]
            try:
                content = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                continue  # left without a file: validation names the interaction
            file = ContentFile(content, name=interaction.get("file_name") or "file")
            file.content_type = interaction.get("mime") or ""  # type: ignore[attr-defined]
            media = flow_media_upload(by=by, file=file)
            interaction["media"] = str(media.public_id)
    return stored


def flow_export(*, flow: Flow) -> dict[str, Any]:
    """The flow's current graph in the original system's JSON, with the names of the queues
    and users it names (so another installation can map them by name)."""
    graph = flow.current_version.graph if flow.current_version else graph_empty(_("Start"))
    exported = legacy_export(graph, name=flow.name)
    named = graph_references(graph)
    exported["queues"] = [
        {"id": q.pk, "name": q.name}
        for q in Queue.objects.filter(pk__in=[i for i in named["queue"] if isinstance(i, int)])
    ]
    exported["users"] = [
        {"id": u.pk, "name": u.name, "email": u.email}
        for u in User.objects.filter(pk__in=[i for i in named["agent"] if isinstance(i, int)])
    ]
    media = {
        str(m.public_id): m
        for m in FlowMedia.objects.filter(
            public_id__in=[i for i in named["media"] if isinstance(i, str) and len(i) == 36]
        )
    }
    for node in exported["nodeList"]:
        for interaction in node.get("interactions", []):
            if interaction["type"] == "MediaField":
                found = media.get(interaction["data"].get("mediaUrl", ""))
                if found is not None:
                    interaction["data"].update(
                        {"type": found.mime, "name": found.name, "fileName": found.name}
                    )
    return exported
