"""GitHub Actions expressions (`${{ ... }}` and `if:`), as far as the shipped recipes use them.

    evaluate("always() && steps.plan.outputs.exitcode != ''", contexts, functions)
    substitute("group-${{ matrix.environment }}", lambda e: evaluate(e, contexts, functions))

Literals (`null`, `true`, `false`, numbers, `'strings'` with `''` for a quote), property access
(`a.b`, `a['b']`, `a[expr]`), `!`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`, parentheses and
function calls, with GitHub's semantics: `&&`/`||` return an operand, comparison of strings
ignores case, values of different types compare as numbers, a missing property is `null`.
An unknown context or function is an error (a typo must fail the test, not read as `null`).
The status functions (`success()`, ...) are passed in by the runner, which knows the job's state.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

Functions = Mapping[str, Callable[..., Any]]


class ExpressionError(ValueError):
    """An expression the evaluator cannot read or evaluate."""


_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>'(?:[^']|'')*')|(?P<name>[A-Za-z_][\w-]*)"
    r"|(?P<op>&&|\|\||==|!=|<=|>=|[!<>()\[\].,*]))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"cannot read {text[position:]!r} in {text!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match[kind]))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent, lowest precedence first: `||`, `&&`, equality, comparison, unary."""

    def __init__(self, text: str, contexts: Mapping[str, Any], functions: Functions) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0
        self.contexts = contexts
        self.functions = functions

    def parse(self) -> Any:
        value = self._or()
        if self.position != len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.position][1]!r} in {self.text!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise ExpressionError(f"unexpected end of {self.text!r}")
        token = self.tokens[self.position]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, got {token[1]!r} in {self.text!r}")
        self.position += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._equality()
        while self._peek() == "&&":
            self._take()
            right = self._equality()
            value = right if truthy(value) else value
        return value

    def _equality(self) -> Any:
        value = self._comparison()
        while self._peek() in {"==", "!="}:
            operator = self._take()[1]
            same = equal(value, self._comparison())
            value = same if operator == "==" else not same
        return value

    def _comparison(self) -> Any:
        value = self._unary()
        while self._peek() in {"<", "<=", ">", ">="}:
            operator = self._take()[1]
            left, right = _number(value), _number(self._unary())
            value = {
                "<": left < right,
                "<=": left <= right,
                ">": left > right,
                ">=": left >= right,
            }[operator]
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._postfix(self._primary())

    def _primary(self) -> Any:
        kind, text = self._take()
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if text == "(":
            value = self._or()
            self._take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r} in {self.text!r}")
        if text in {"true", "false", "null"}:
            return {"true": True, "false": False, "null": None}[text]
        if self._peek() == "(":
            return self._call(text)
        if text not in self.contexts:
            raise ExpressionError(f"unknown context {text!r} in {self.text!r}")
        return self.contexts[text]

    def _call(self, name: str) -> Any:
        if name not in self.functions:
            raise ExpressionError(f"unknown function {name}() in {self.text!r}")
        self._take("(")
        arguments = []
        while self._peek() != ")":
            arguments.append(self._or())
            if self._peek() == ",":
                self._take()
        self._take(")")
        return self.functions[name](*arguments)

    def _postfix(self, value: Any) -> Any:
        while self._peek() in {".", "["}:
            if self._take()[1] == ".":
                value = _property(value, self._take()[1])
            else:
                key = self._or()
                self._take("]")
                value = _property(value, key)
        return value


def _property(value: Any, key: Any) -> Any:
    if isinstance(value, Mapping):
        if isinstance(key, str):
            matches = [v for k, v in value.items() if str(k).lower() == key.lower()]
            return matches[0] if matches else None
        return None
    if isinstance(value, list) and isinstance(key, int | float) and 0 <= key < len(value):
        return value[int(key)]
    return None


def truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0
        try:
            return float(text)
        except ValueError:
            return math.nan
    return math.nan


def equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if type(left) is type(right) or (left is None and right is None):
        return bool(left == right)
    if isinstance(left, Mapping | list) or isinstance(right, Mapping | list):
        return left is right
    return _number(left) == _number(right)


def to_string(value: Any) -> str:
    """A value as GitHub writes it into a string: null is empty, objects are JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Mapping | list):
        return json.dumps(value, indent=2)
    return str(value)


def _format(template: str, *arguments: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        if match[0] in {"{{", "}}"}:
            return match[0][0]
        return to_string(arguments[int(match[1])])

    return re.sub(r"\{\{|\}\}|\{(\d+)\}", replace, template)


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, list):
        return any(equal(item, needle) for item in haystack)
    return to_string(needle).casefold() in to_string(haystack).casefold()


VALUE_FUNCTIONS: Functions = {
    "contains": _contains,
    "startsWith": lambda s, p: to_string(s).casefold().startswith(to_string(p).casefold()),
    "endsWith": lambda s, p: to_string(s).casefold().endswith(to_string(p).casefold()),
    "format": _format,
    "join": lambda items, sep=",": to_string(sep).join(to_string(i) for i in items or []),
    "toJSON": lambda value: json.dumps(value, indent=2),
    "fromJSON": lambda text: json.loads(to_string(text)),
}
STATUS_FUNCTIONS = frozenset({"success", "failure", "always", "cancelled"})


def evaluate(text: str, contexts: Mapping[str, Any], functions: Functions) -> Any:
    """The value of one expression (without the `${{ }}`)."""
    return _Parser(text, contexts, {**VALUE_FUNCTIONS, **functions}).parse()


_EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def substitute(text: str, evaluate_one: Callable[[str], Any]) -> str:
    """`text` with every `${{ expr }}` replaced by its value as a string."""
    return _EMBEDDED.sub(lambda m: to_string(evaluate_one(m[1])), text)


def is_whole_expression(text: str) -> bool:
    """`${{ expr }}` and nothing else (its value keeps its type, e.g. a matrix object)."""
    match = _EMBEDDED.fullmatch(text.strip())
    return match is not None


def strip_braces(text: str) -> str:
    """An `if:` condition without optional `${{ }}` around it."""
    stripped = text.strip()
    match = _EMBEDDED.fullmatch(stripped)
    return match[1] if match else stripped


def uses_status_function(text: str) -> bool:
    """Whether a condition calls a status function (else GitHub adds `success() &&`)."""
    return any(
        kind == "name" and value in STATUS_FUNCTIONS for kind, value in _tokens(strip_braces(text))
    )
