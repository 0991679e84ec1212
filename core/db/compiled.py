"""A query compiled once and run many times with new values.

Building a queryset and compiling it can cost more CPU than running it (the inbox page, a live
message event, one ticket read by its public id: docs/performance.md). ``values_compiled``
compiles a ``values()`` queryset whose varying values are ``Slot`` expressions;
``CompiledValues.rows`` binds a call's values into the kept SQL and gives the rows as Django's
``values()`` would (its converters applied). ``instances_compiled`` does the same for a model
queryset, ``select_related`` included: ``CompiledInstances.instances`` gives the model instances
with their related objects, as iterating the queryset would. The SQL must hold no value of any
user or tenant: tables are found through the connection's ``search_path``, so one compiled
statement serves every tenant.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.query import get_related_populators


class Slot(Expression):
    """A value bound on each run: it compiles to ``%s`` with the slot itself as the parameter,
    which ``CompiledValues.rows`` replaces by the run's value, prepared by ``output_field`` as
    a lookup would prepare it."""

    def __init__(self, name: Hashable, output_field: Field[Any, Any]) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return "%s", [self]


@dataclass(frozen=True)
class CompiledValues:
    """A compiled ``values()`` query: its SQL, its parameters (``slots`` says which to bind:
    position, slot name, field), the values' keys and their converters."""

    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, Hashable, Field[Any, Any]], ...]
    names: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]

    def rows(self, values: Mapping[Hashable, Any]) -> list[dict[str, Any]]:
        """The rows for ``values`` (slot name -> value), as ``values()`` gives them."""
        return [dict(zip(self.names, row, strict=True)) for row in _run(self, values)]


def _run(
    statement: CompiledValues | CompiledInstances, values: Mapping[Hashable, Any]
) -> list[Any]:
    """The statement's rows for ``values``, as sequences, its converters applied."""
    params = list(statement.params)
    for index, name, field in statement.slots:
        # A value the field refuses (a malformed UUID...) raises here, as in a lookup.
        params[index] = field.get_db_prep_value(values[name], connection, prepared=False)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        fetched: list[Any] = cursor.fetchall()
    if not statement.converters:
        return fetched
    converted = []
    for row in fetched:
        row = list(row)
        for index, functions, expression in statement.converters:
            for function in functions:
                row[index] = function(row[index], expression, connection)
        converted.append(row)
    return converted


def _compile(rows: QuerySet[Any]) -> tuple[Any, dict[str, Any]]:
    """The compiler of ``rows`` after compiling it, and what both kinds of statement keep."""
    compiler = rows.query.get_compiler(using=rows.db)
    sql, params = compiler.as_sql()
    selected = [column[0] for column in compiler.select[: compiler.col_count]]
    return (
        compiler,
        {
            "sql": sql,
            "params": tuple(params),
            "slots": tuple(
                (index, param.name, param.output_field)
                for index, param in enumerate(params)
                if isinstance(param, Slot)
            ),
            "converters": tuple(
                (index, tuple(functions), expression)
                for index, (functions, expression) in compiler.get_converters(selected).items()
            ),
        },
    )


def values_compiled(rows: QuerySet[Any]) -> CompiledValues:
    """``rows`` (a ``values()`` queryset with ``Slot``s for its varying values) compiled."""
    _compiler, kept = _compile(rows)
    query = rows.query
    return CompiledValues(
        names=(*query.extra_select, *query.values_select, *query.annotation_select), **kept
    )


@dataclass(frozen=True)
class CompiledInstances:
    """A compiled model query: its SQL and slots as ``CompiledValues``, and how a row becomes
    the model instance and the related instances ``select_related`` named."""

    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, Hashable, Field[Any, Any]], ...]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]
    model: type[Model]
    db: str
    fields: tuple[int, int]
    init_list: tuple[str, ...]
    related_populators: tuple[Any, ...]

    def instances(self, values: Mapping[Hashable, Any]) -> list[Any]:
        """The instances for ``values`` (slot name -> value), as the queryset gives them."""
        start, end = self.fields
        result = []
        for row in _run(self, values):
            instance = self.model.from_db(self.db, self.init_list, row[start:end])
            for populator in self.related_populators:
                populator.populate(row, instance)
            result.append(instance)
        return result


# ``Query.deferred_loading`` of a queryset without ``only()`` or ``defer()``.
_NOTHING_DEFERRED: tuple[frozenset[str], bool] = (frozenset(), True)


def instances_compiled(rows: QuerySet[Any]) -> CompiledInstances:
    """``rows`` (a model queryset, ``select_related`` allowed, with ``Slot``s for its varying
    values) compiled. Annotations, ``prefetch_related`` and ``only``/``defer`` are not kept:
    such a queryset is refused rather than read differently."""
    query = rows.query
    if query.annotation_select or query.extra_select or query.deferred_loading != _NOTHING_DEFERRED:
        raise ValueError("a compiled model query reads every column and nothing else")
    if rows._prefetch_related_lookups:  # type: ignore[attr-defined]  # noqa: SLF001
        raise ValueError("a compiled model query does not prefetch")
    compiler, kept = _compile(rows)
    klass_info = compiler.klass_info
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    return CompiledInstances(
        model=klass_info["model"],
        db=rows.db,
        fields=(start, end),
        init_list=tuple(column[0].target.attname for column in compiler.select[start:end]),
        # Django 5.2's signature (the stubs describe a later one with a fetch mode).
        related_populators=tuple(
            get_related_populators(klass_info, compiler.select, rows.db)  # type: ignore[call-arg]
        ),
        **kept,
    )
