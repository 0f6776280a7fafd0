"""Hot reads whose SQL Peewee builds once, then run with new values in place of the first ones.

Building a query's SQL is most of what a small read costs here: an invoice by id takes ~2.8 ms to build and
read through Peewee and ~0.7 ms as the same SQL run with Model.raw. A check, a diagnosis and a scheduler tick
each repeat the same few reads with other values, so their SQL is built by Peewee the first time (its quoting,
placeholders and columns: nothing is written by hand) and kept per database kind.

A shape is kept only when Peewee turned each value into exactly one parameter, in order; a None is never bound
in place of a value (Peewee writes `IS NULL`, not `= ?`), so a call with one builds its SQL anew.
"""

from __future__ import annotations

from collections.abc import Callable

import peewee

from .db import database

_kept: dict[tuple, str] = {}


def sql(name: str, build: Callable[..., peewee.Query], *values) -> tuple[str, list]:
    """(sql, params) of `build(*values)`; the SQL is built once per name, database kind and number of values."""
    key = (name, type(database.obj), len(values))
    kept = _kept.get(key)
    if kept is not None and None not in values:
        return kept, list(values)
    text, params = build(*values).sql()
    if None not in values and params == list(values):
        _kept[key] = text
    return text, params


def rows(model: type[peewee.Model], name: str, build: Callable[..., peewee.Query], *values) -> list:
    """The model instances a select reads, made as Peewee makes them (each column's python_value, then nothing
    dirty), but without a query object: Model.raw passed each of its values through Peewee's per-value path
    again (~180 keys in a near-miss look-up) and resolved its columns anew on every read."""
    text, params = sql(name, build, *values)
    cursor = database.execute_sql(text, params)
    columns = _columns(model, tuple(d[0] for d in cursor.description))
    found = []
    for row in cursor.fetchall():
        instance = model(__no_default__=1, **{n: (convert(v) if convert else v) for (n, convert), v in
                                              zip(columns, row, strict=True)})
        instance._dirty.clear()  # as read: a save writes only what is set afterwards
        found.append(instance)
    return found


_resolved: dict[tuple, tuple] = {}


def _columns(model: type[peewee.Model], names: tuple[str, ...]) -> tuple:
    """(field name, python_value) per column the cursor names (a column of no field: as named, unconverted)."""
    key = (model, names)
    if key not in _resolved:
        fields = [model._meta.columns.get(n) or model._meta.fields.get(n) for n in names]
        _resolved[key] = tuple((f.name, f.python_value) if f else (n, None) for f, n in zip(fields, names, strict=True))
    return _resolved[key]


def first(model: type[peewee.Model], name: str, build: Callable[..., peewee.Query], *values):
    found = rows(model, name, build, *values)
    return found[0] if found else None


def scalar(name: str, build: Callable[..., peewee.Query], *values):
    """The first column of the first row (a count), as the driver returns it."""
    text, params = sql(name, build, *values)
    row = database.execute_sql(text, params).fetchone()
    return row[0] if row else None
