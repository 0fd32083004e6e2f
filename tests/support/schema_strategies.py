"""Hypothesis strategies that draw FlaskService specs from the CRD's own schema, then mutate
them (wrong types, out-of-range numbers, dropped required fields, odd strings), so the API
server sees both what the schema describes and what sits just outside it."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

MAX_DEPTH = 6
ODD_STRINGS = ("", " ", "0", "-1", "root", "a" * 70, "Ünïcode", "1.5", "true", "null")


def _string(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(
            lambda s: len(s) <= schema.get("maxLength", 80)
        )
    return st.text(
        alphabet=st.characters(codec="ascii", categories=("L", "N", "P")),
        min_size=schema.get("minLength", 0),
        max_size=min(schema.get("maxLength", 24), 24),
    )


def _number(schema: dict[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    low, high = schema.get("minimum"), schema.get("maximum")
    if integer:
        return st.integers(
            min_value=int(low) if low is not None else -5,
            max_value=int(high) if high is not None else 100_000,
        )
    return st.floats(
        min_value=low if low is not None else -5.0,
        max_value=high if high is not None else 1e5,
        allow_nan=False,
        allow_infinity=False,
    )


def from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values the (structural) schema describes; CEL rules are left for the server to judge."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if schema.get("x-kubernetes-int-or-string"):
        return st.one_of(st.integers(0, 10), st.sampled_from(["25%", "1", "50%", "0"]))
    kind = schema.get("type")
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        items = schema.get("items") or {}
        if depth >= MAX_DEPTH:
            return st.just([])
        return st.lists(
            from_schema(items, depth + 1),
            min_size=schema.get("minItems", 0),
            max_size=min(schema.get("maxItems", 2), 2),
        )
    if kind == "object" or "properties" in schema:
        return _object(schema, depth)
    return st.just({})  # preserve-unknown-fields and the like: nothing to say


def _object(schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    props: dict[str, Any] = schema.get("properties") or {}
    if not props:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and depth < MAX_DEPTH:
            return st.dictionaries(
                st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True),
                from_schema(extra, depth + 1),
                max_size=2,
            )
        return st.just({})
    required = set(schema.get("required") or [])
    if depth >= MAX_DEPTH:
        return st.just({})

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, sub in props.items():
            # Required fields always; others rarely, so one example changes few things.
            if name in required or draw(st.integers(0, 9)) == 0:
                out[name] = draw(from_schema(sub, depth + 1))
        return out

    return build()


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, sub in value.items():
            out += paths(sub, (*prefix, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            out += paths(sub, (*prefix, i))
    return out


def _set(root: Any, path: tuple[Any, ...], value: Any, delete: bool = False) -> Any:
    root = copy.deepcopy(root)
    node = root
    for key in path[:-1]:
        node = node[key]
    if delete and isinstance(node, dict):
        node.pop(path[-1], None)
    elif delete and isinstance(node, list):
        node.pop(path[-1])
    else:
        node[path[-1]] = value
    return root


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A spec from the schema, then up to two mutations at random places."""
    spec = draw(base)
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        where = paths(spec)
        if not where:
            break
        path = draw(st.sampled_from(where))
        how = draw(st.sampled_from(["delete", "odd-string", "number", "flip-type"]))
        if how == "delete":
            spec = _set(spec, path, None, delete=True)
        elif how == "odd-string":
            spec = _set(spec, path, draw(st.sampled_from(ODD_STRINGS)))
        elif how == "number":
            spec = _set(spec, path, draw(st.sampled_from([0, -1, 1, 65536, 10**9])))
        else:
            spec = _set(spec, path, draw(st.sampled_from([[], {}, True, "x", 3])))
    return spec
