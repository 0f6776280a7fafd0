"""Hot statements whose SQL Peewee builds once, then run with new values in place of the first ones.

Building a query's SQL is most of what a small statement costs here: an invoice by id takes ~2.8 ms to build and
read through Peewee and ~0.7 ms as the same SQL run with Model.raw. A check, a diagnosis and a scheduler tick
each repeat the same few reads and writes with other values, so their SQL is built by Peewee the first time (its
quoting, placeholders and columns: nothing is written by hand) and kept per database kind.

A shape is kept only when Peewee turned each value into exactly one parameter, in order (as the column's
db_value makes it, for a written column). Which values are None is part of the shape: in a condition Peewee
writes `IS NULL` for one (no parameter: the shape is never kept), in a SET or VALUES it binds it like any other.
"""

from __future__ import annotations

from collections.abc import Callable

import peewee

from .db import database

_kept: dict[tuple, str] = {}
KEPT_MOST = 2000  # shapes kept at most (a name's shapes are a handful: its columns set, its None values)


def sql(name, build: Callable[..., peewee.Query], *values, bound: list | None = None,
        db: peewee.Database | None = None) -> tuple[str, list]:
    """(sql, params) of `build(*values)`; the SQL is built once per name, database kind, number of values and
    the places of their None. `bound`: the parameters Peewee makes of the values (their columns' db_value), when
    they are not the values themselves; `db`: another database than the app's (the simulator's store)."""
    db = database if db is None else db
    params = list(values) if bound is None else bound
    key = (name, type(getattr(db, "obj", db)), len(values), tuple(i for i, v in enumerate(values) if v is None))
    kept = _kept.get(key)
    if kept is not None:
        return kept, params
    text, built = build(*values).sql()
    if built == params and len(_kept) < KEPT_MOST:
        _kept[key] = text
    return text, built


def execute(name, build: Callable[..., peewee.Query], *values, bound: list | None = None,
            db: peewee.Database | None = None):
    """Run a statement (an UPDATE, a DELETE) built as `sql` builds it; the cursor (its rowcount)."""
    text, params = sql(name, build, *values, bound=bound, db=db)
    return (database if db is None else db).execute_sql(text, params)


def update(model: type[peewee.Model], name: str, changes: dict, where: Callable[..., peewee.Expression],
           *values, db: peewee.Database | None = None) -> int:
    """UPDATE model SET `changes` WHERE `where(*values)`: the rows changed. The SQL is kept per set of columns
    changed (Peewee writes them in the model's field order, each value as its column's db_value)."""
    fields = [f for f in model._meta.sorted_fields if f.name in changes]
    if len(fields) != len(changes):  # a name that is no field: Peewee's own error
        return model.update(**changes).where(where(*values)).execute()
    set_values = [changes[f.name] for f in fields]

    def build(*all_values):
        return model.update(dict(zip(fields, all_values[:len(fields)], strict=True))).where(
            where(*all_values[len(fields):]))

    bound = [f.db_value(v) for f, v in zip(fields, set_values, strict=True)] + list(values)
    return execute((name, *(f.name for f in fields)), build, *set_values, *values, bound=bound, db=db).rowcount


def save_dirty(instance: peewee.Model, name: str) -> int:
    """instance.save(only=instance.dirty_fields): one UPDATE, by its id, of the columns set since it was read,
    kept per set of columns (a check sets the same few each time)."""
    model = type(instance)
    pk = model._meta.primary_key
    changes = {f.name: instance.__data__.get(f.name) for f in instance.dirty_fields if f is not pk}
    if not changes:
        raise ValueError("no data to save!")  # as Peewee's save says it
    rows = update(model, name, changes, lambda i: pk == i, instance._pk)
    instance._dirty -= set(changes)
    return rows


def create(model: type[peewee.Model], name: str, **data) -> peewee.Model:
    """Model.create(**data) with the INSERT built once per set of columns: the instance as Peewee makes it (its
    defaults filled, its new id set, nothing dirty). On PostgreSQL the id comes back by RETURNING, as Peewee
    asks for it."""
    instance = model(**data)
    pk = model._meta.primary_key
    row = {n: v for n, v in instance.__data__.items() if not (n == pk.name and v is None)}
    fields = [f for f in model._meta.sorted_fields if f.name in row]
    db = model._meta.database
    returning = db.returning_clause

    def build(*row_values):
        query = model.insert(dict(zip(fields, row_values, strict=True)))
        return query.returning(pk) if returning else query

    row_values = [row[f.name] for f in fields]
    bound = [f.db_value(v) for f, v in zip(fields, row_values, strict=True)]
    cursor = execute((name, *(f.name for f in fields)), build, *row_values, bound=bound, db=db)
    if instance._pk is None:
        instance._pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    instance._dirty.clear()  # as Model.create leaves it: all saved
    return instance


def rows(model: type[peewee.Model], name: str, build: Callable[..., peewee.Query], *values,
         db: peewee.Database | None = None) -> list:
    """The model instances a select reads, made as Peewee makes them (each column's python_value, then nothing
    dirty), but without a query object: Model.raw passed each of its values through Peewee's per-value path
    again (~180 keys in a near-miss look-up) and resolved its columns anew on every read."""
    cursor = execute(name, build, *values, db=db)
    names, converted, others = _columns(model, tuple(d[0] for d in cursor.description))
    found = []
    for row in cursor.fetchall():
        data = list(row)
        for i, convert in converted:
            data[i] = convert(data[i])
        # What Peewee's setattr per column leaves in a fresh instance: the fields' values in its __data__ (no
        # relation kept), a column of no field as a plain attribute; nothing dirty (a save writes only what is
        # set afterwards).
        instance = model(__no_default__=1)
        instance.__data__ = {n: data[i] for i, n in names}
        for i, n in others:
            setattr(instance, n, data[i])
        found.append(instance)
    return found


_resolved: dict[tuple, tuple] = {}


def _columns(model: type[peewee.Model], names: tuple[str, ...]) -> tuple:
    """For the columns the cursor names: (index, field name) of those of a field, (index, python_value) of each
    of them, (index, name) of the others (as named, unconverted)."""
    key = (model, names)
    if key not in _resolved:
        fields = [model._meta.columns.get(n) or model._meta.fields.get(n) for n in names]
        _resolved[key] = (tuple((i, f.name) for i, f in enumerate(fields) if f),
                          tuple((i, f.python_value) for i, f in enumerate(fields) if f),
                          tuple((i, n) for i, (f, n) in enumerate(zip(fields, names, strict=True)) if not f))
    return _resolved[key]


def first(model: type[peewee.Model], name: str, build: Callable[..., peewee.Query], *values,
          db: peewee.Database | None = None):
    found = rows(model, name, build, *values, db=db)
    return found[0] if found else None


def related(instance: peewee.Model, field: peewee.ForeignKeyField):
    """`instance.<field>` as Peewee's lazy load answers it (the row it points to, read once and then kept on the
    instance; DoesNotExist for an id of no row), its SELECT built once: every event's invoice reads its file."""
    name, target = field.name, field.rel_model
    value = instance.__data__.get(name)
    if name in instance.__rel__ or value is None or not field.lazy_load:
        return getattr(instance, name)  # kept, none, or not loaded: Peewee's own answer
    found = first(target, ("related", target, field.rel_field.name),
                  lambda v: target.select().where(field.rel_field == v), value)
    if found is None:
        raise target.DoesNotExist(f"{target.__name__} {field.rel_field.name}={value!r}")
    instance.__rel__[name] = found
    return found


def scalar(name: str, build: Callable[..., peewee.Query], *values, db: peewee.Database | None = None):
    """The first column of the first row (a count), as the driver returns it."""
    row = execute(name, build, *values, db=db).fetchone()
    return row[0] if row else None
