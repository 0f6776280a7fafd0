"""What a route reads besides its path, declared on the view beside the code that reads it:

    @bp.get("")
    @requires(Perm.READ)
    @takes(query={"team_id": ID})
    def listing():
        team = g.access.team(int_arg("team_id", None, 1, 2**62))

api/openapi.py lists the declaration in the API description. tests/test_api_fuzz.py records which query keys,
JSON body keys and form fields every request actually reads and fails on one the route does not declare, so a
new read without its declaration does not pass the tests. The schemas are plain JSON Schema (OpenAPI 3.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MAX_ID = 2**62  # the largest id the parameter parsers take (api/params.py, services/search.py)


@dataclass(frozen=True)
class Takes:
    query: Mapping[str, dict] = field(default_factory=dict)  # name -> schema; a list is sent as a,b,c
    required: frozenset[str] = frozenset()  # query names that must be there
    body: dict | None = None  # the JSON body's schema (an object)
    body_required: bool = True  # api/auth.py json_body() refuses a missing body; some routes read it if sent
    form: dict | None = None  # a multipart/form-data body's schema

    def reads(self) -> frozenset[str]:
        """Every key the route may read: query names, body properties, form fields."""
        body = (self.body or {}).get("properties", {})
        form = (self.form or {}).get("properties", {})
        return frozenset(self.query) | frozenset(body) | frozenset(form)


def takes(query: Mapping[str, dict] | None = None, *, required: Iterable[str] = (), body: dict | None = None,
          body_required: bool = True, form: dict | None = None):
    """Put the declaration on the view (guard.requires' wrapper copies it, being a functools.wraps)."""
    declared = Takes(dict(query or {}), frozenset(required), body, body_required, form)

    def decorate(view):
        view.takes = declared
        return view

    return decorate


def takes_of(view) -> Takes:
    return getattr(view, "takes", None) or Takes()


# -- schema helpers --------------------------------------------------------------------------------------
def integer(lo: int | None = None, hi: int | None = None, doc: str = "") -> dict:
    out: dict = {"type": "integer"}
    if lo is not None:
        out["minimum"] = lo
    if hi is not None:
        out["maximum"] = hi
    return _doc(out, doc)


def string(doc: str = "", *, max_length: int | None = None, fmt: str | None = None,
           fullmatch: str | None = None) -> dict:
    out: dict = {"type": "string"}
    if max_length is not None:
        out["maxLength"] = max_length
    if fmt:
        out["format"] = fmt
    if fullmatch:  # a Python re.fullmatch pattern; JSON Schema's pattern searches, so it is anchored here
        out["pattern"] = f"^(?:{fullmatch})$"
    return _doc(out, doc)


def one_of(values: Iterable[str], doc: str = "") -> dict:
    return _doc({"type": "string", "enum": sorted(str(v) for v in values)}, doc)


def boolean(doc: str = "") -> dict:
    return _doc({"type": "boolean"}, doc)


def array(items: dict, doc: str = "", *, max_items: int | None = None) -> dict:
    out: dict = {"type": "array", "items": items}
    if max_items is not None:
        out["maxItems"] = max_items
    return _doc(out, doc)


def obj(required: Iterable[str] = (), **properties: dict) -> dict:
    out: dict = {"type": "object", "properties": properties}
    if required:
        out["required"] = sorted(required)
    return out


def binary(doc: str = "") -> dict:
    return _doc({"type": "string", "format": "binary"}, doc)


def _doc(schema: dict, doc: str) -> dict:
    return {**schema, "description": doc} if doc else schema


ID = integer(1, MAX_ID)
TEAM_ID = integer(1, MAX_ID, "the team (one of mine)")


# -- the board's filter (services/search.py parse_filter), described from the parser's own tables -------
def _filter_query() -> dict[str, dict]:
    from ..services import search

    by_reader = {  # a reader added to search.READERS without a schema here fails on import: no silent gap
        search._date: string(fmt="date"),
        search._amount: {"type": "number", "exclusiveMinimum": -1e12, "exclusiveMaximum": 1e12},
        search._id: integer(1, MAX_ID - 1),
        search._flag: boolean(),
    }
    sorts = [s for key in search.SORTS for s in (key, f"-{key}")]
    return {
        "q": string(f"search text: every word must match (the first {search.MAX_QUERY} characters count)"),
        **{name: array(one_of(values), "any of these (comma-separated)") for name, values in search.LISTS.items()},
        **{name: by_reader[read] for name, read in search.READERS.items()},
        "sort": one_of(sorts, f"a column, '-' first for descending (default {search.DEFAULT_SORT})"),
    }


FILTER = _filter_query()
