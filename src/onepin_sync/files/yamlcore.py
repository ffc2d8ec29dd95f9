"""The YAML 1.2 core schema: the value of a scalar from its text and tag, and how values read.

PyYAML resolves plain scalars by YAML 1.1, where `no` is false, `1:30` is 90 and `2001-12-14` a
date. Workflow files follow the 1.2 core schema instead:

- booleans: `true`, `false` (also `True`/`TRUE`, `False`/`FALSE`); `yes`, `no`, `on`, `off`, `y`,
  `n` are strings;
- null: `null`, `Null`, `NULL`, `~` and the empty scalar;
- integers: decimal (`010` is 10), `0o17` octal, `0x1F` hex; `1_000`, `0b101`, `1:30` are strings;
- floats: finite only: `.inf`, `.nan` and literals that overflow are refused, as JSON cannot carry
  them; timestamps are strings.

Explicit standard tags (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`) must fit the same rules;
any other scalar tag is refused. Pure: no IO.
"""

from __future__ import annotations

import math
import re
from typing import Any

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"

_CORE_SPECIALS: dict[str, Any] = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True,
    "false": False, "False": False, "FALSE": False,
}  # fmt: skip
_NUMBER_START = frozenset("0123456789+-.")
_DECIMAL = re.compile(r"[-+]?[0-9]+")
_OCTAL = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT_LITERAL = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_NOT_FINITE = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_MISSING = object()


def describe_value(value: Any) -> str:
    """How a parsed value is named in messages: its type and, for scalars, the value."""
    if value is None:
        return "null"
    if value is True or value is False:
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {short_repr(value)}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def short_repr(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def tag_name(tag: str) -> str:
    if tag.startswith("tag:yaml.org,2002:"):
        return "!!" + tag[len("tag:yaml.org,2002:") :]
    return tag


def resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar under the YAML 1.2 core schema.

    Raises ValueError for literals JSON cannot carry (infinity, NaN, overflow, huge integers).
    """
    special = _CORE_SPECIALS.get(text, _MISSING)
    if special is not _MISSING:
        return special
    if text[0] not in _NUMBER_START:
        return text
    number = _core_int(text)
    if number is not None:
        return number
    if _FLOAT_LITERAL.fullmatch(text):
        return _finite_float(text)
    if _NOT_FINITE.fullmatch(text):
        raise ValueError(
            f"{text!r} is not allowed: JSON cannot carry infinity or NaN (quote it for a string)"
        )
    return text


def _core_int(text: str) -> int | None:
    """The integer a core-schema int literal denotes, or None if `text` is not one."""
    if _DECIMAL.fullmatch(text):
        return _integer(text, 10)
    if _OCTAL.fullmatch(text):
        return _integer(text[2:], 8)
    if _HEX.fullmatch(text):
        return _integer(text[2:], 16)
    return None


def _integer(digits: str, base: int) -> int:
    try:
        return int(digits, base)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise ValueError(f"integer with {len(digits)} digits is too large") from None


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {short_repr(text, 30)} is too large for JSON")
    return value


def resolve_tagged(tag: str, text: str) -> Any:
    """The value of a scalar with an explicit standard tag; ValueError if it does not fit."""
    if tag == STR_TAG:
        return text
    if tag == NULL_TAG:
        if text in ("", "~", "null", "Null", "NULL"):
            return None
    elif tag == BOOL_TAG:
        value = _CORE_SPECIALS.get(text)
        if isinstance(value, bool):
            return value
    elif tag == INT_TAG:
        number = _core_int(text)
        if number is not None:
            return number
    elif tag == FLOAT_TAG:
        if _FLOAT_LITERAL.fullmatch(text):
            return _finite_float(text)
        if _NOT_FINITE.fullmatch(text):
            return resolve_plain(text)  # raises the infinity/NaN message
    else:
        raise ValueError(f"tag {short_repr(tag_name(tag))} is not allowed")
    raise ValueError(f"{short_repr(text, 30)} is not a valid {tag_name(tag)}")
