"""Checking a JSON value against a schema of `tests/contract/v1_table.py` (its notation is
described there). Each problem is one line that reads the same on every run (no ids, no
timestamps), so a test can compare them with a list of known ones."""

from __future__ import annotations

import re
from datetime import datetime

from tests.contract.v1_table import ENUMS

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DEC2_RE = re.compile(r"^-?\d+\.\d{2}$")
NUMERIC_RE = re.compile(r"^-?\d+(\.\d+)?$")


class Ids:
    """Which uuids are accounts and which are professional profiles (§ 1.9)."""

    def __init__(self):
        self.users: set[str] = set()
        self.professionals: set[str] = set()


def _is_datetime(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def _scalar_problem(kind: str, value, ids: Ids) -> str | None:
    """None when `value` is a `kind`; else what it is instead."""
    ok = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "uuid": lambda v: isinstance(v, str) and bool(UUID_RE.match(v)),
        "datetime": _is_datetime,
        "dec2": lambda v: isinstance(v, str) and bool(DEC2_RE.match(v)),
        "url": lambda v: isinstance(v, str) and v.startswith(("http://", "https://")),
    }
    if kind.startswith("enum:"):
        allowed = ENUMS[kind.removeprefix("enum:")]
        return None if value in allowed else f"{value!r} is not one of {allowed}"
    if kind.startswith("id:"):
        if not ok["uuid"](value):
            return "not a uuid"
        wanted = kind.removeprefix("id:")
        if wanted == "user" and value not in ids.users:
            return "not a user id" + (" (a professional id)" if value in ids.professionals else "")
        if wanted == "professional" and value not in ids.professionals:
            return "not a professional id" + (" (a user id)" if value in ids.users else "")
        return None
    return None if ok[kind](value) else "wrong type"


def _describe(value, kind: str = "") -> str:
    """The JSON type of `value` (no value but a dec-string's: the problems must read the same on
    every run)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        if UUID_RE.match(value):
            return "a uuid string"
        if NUMERIC_RE.match(value):
            return f"the string {value!r}" if kind == "dec2" else "a numeric string"
        return "a relative path" if value.startswith("/") else "a string"
    return {dict: "an object", list: "an array"}.get(type(value), type(value).__name__)


def _check_object(schema: dict, value, ids: Ids, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where or 'body'}: expected an object, got {_describe(value)}"]
    problems = []
    for key, sub in schema.items():
        path = f"{where}.{key}" if where else key
        problems += check(sub, value[key], ids, path) if key in value else [f"{path}: missing"]
    return problems


def _check_array(schema: list, value, ids: Ids, where: str) -> list[str]:
    if not isinstance(value, list):
        return [f"{where or 'body'}: expected an array, got {_describe(value)}"]
    if not value:  # a whole answer must have items to check; a nested array may be empty (a new item's images)
        return [] if where else ["body: empty array (items not checked)"]
    problems = []
    for item in value:
        problems += [p for p in check(schema[0], item, ids, f"{where}[]") if p not in problems]
    return problems


def check(schema, value, ids: Ids, where: str = "") -> list[str]:
    """The problems of `value` against `schema` (v1_table notation), one line each."""
    here = where or "body"
    if schema is None:
        return [] if value is None else [f"{here}: expected an empty body"]
    if isinstance(schema, dict):
        return _check_object(schema, value, ids, where)
    if isinstance(schema, list):
        return _check_array(schema, value, ids, where)
    kind, _, nullable = schema.partition("|")
    if value is None:
        return [] if nullable == "null" else [f"{here}: null, expected {kind}"]
    problem = _scalar_problem(kind, value, ids)
    return [] if problem is None else [f"{here}: {problem} ({schema}), got {_describe(value, kind)}"]
