"""A ``values()`` query compiled once and run many times with new values.

Building a queryset and compiling it can cost more CPU than running it (the inbox page, a live
message event: docs/performance.md). ``values_compiled`` compiles a ``values()`` queryset whose
varying values are ``Slot`` expressions; ``CompiledValues.rows`` binds a call's values into the
kept SQL and gives the rows as Django's ``values()`` would (its converters applied). The SQL
must hold no value of any user or tenant: tables are found through the connection's
``search_path``, so one compiled statement serves every tenant.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Expression, Field, QuerySet


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
        params = list(self.params)
        for index, name, field in self.slots:
            params[index] = field.get_db_prep_value(values[name], connection, prepared=False)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        result = []
        for row in fetched:
            if self.converters:
                row = list(row)
                for index, functions, expression in self.converters:
                    for function in functions:
                        row[index] = function(row[index], expression, connection)
            result.append(dict(zip(self.names, row, strict=True)))
        return result


def values_compiled(rows: QuerySet[Any]) -> CompiledValues:
    """``rows`` (a ``values()`` queryset with ``Slot``s for its varying values) compiled."""
    compiler = rows.query.get_compiler(using=rows.db)
    sql, params = compiler.as_sql()
    query = rows.query
    selected = [column[0] for column in compiler.select[: compiler.col_count]]
    return CompiledValues(
        sql=sql,
        params=tuple(params),
        slots=tuple(
            (index, param.name, param.output_field)
            for index, param in enumerate(params)
            if isinstance(param, Slot)
        ),
        names=(*query.extra_select, *query.values_select, *query.annotation_select),
        converters=tuple(
            (index, tuple(functions), expression)
            for index, (functions, expression) in compiler.get_converters(selected).items()
        ),
    )
