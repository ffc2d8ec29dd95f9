"""`${env.NAME}` and `${secret.NAME}` interpolation in workflow file strings.

Both forms read NAME from the mapping handed to the loader (the CLI passes the process
environment); a secret's value is also remembered so every output can mask it. `$${` writes a
literal `${`. Any other `${...}` form is an error; so is an unset or empty NAME unless the
interpolator is told to keep such references as written (offline `validate`, which must work in a
pre-commit hook or a pull request from a fork, with no values at all). Every well-formed reference
is recorded as a `Reference`, so a command can say which variables a plan will need. Messages name
the variable, never its value.

Pure: the environment is a parameter, never read here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from onepin_sync.files.yamlstrict import ScalarValueError

_PLACEHOLDER = re.compile(r"\$(?:\$\{|\{(?P<body>[^}]*)(?P<close>\}?))")
_REFERENCE = re.compile(r"(?P<source>env|secret)\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)")
_FORMS = "use ${env.NAME} or ${secret.NAME}, or $${ for a literal ${"


class Reference(NamedTuple):
    """One `${env.NAME}` or `${secret.NAME}` as written: `source` is "env" or "secret"."""

    source: str
    name: str

    def __str__(self) -> str:
        return f"${{{self.source}.{self.name}}}"


class Interpolator:
    """Replaces placeholders in one string at a time; collects the secret values it used.

    `secret_strings` holds every finished string that contains a secret, so a message that would
    quote such a string can say "a string containing a secret" instead, and the loader can find
    where in a workflow the secrets went; `secret_uses` counts those strings as they are made.
    `references` collects every well-formed reference met, and `used` those of the file being
    read (since `start_file`), as `env.NAME` / `secret.NAME`: with the values they took
    (`values`), what a file's spec depends on besides its bytes (`fingerprint.content_digest`).
    With `require_values=False` a reference to an unset or empty variable stays in the string as
    written instead of failing, so every other check still runs on a string of the same shape.
    """

    def __init__(self, env: Mapping[str, str], *, require_values: bool = True) -> None:
        self._env = env
        self._require_values = require_values
        self.secret_values: set[str] = set()
        self.secret_strings: set[str] = set()
        self.secret_uses = 0
        self.references: set[Reference] = set()
        self.used: set[str] = set()

    def start_file(self) -> None:
        """Start collecting `used` for another file."""
        self.used = set()

    def values(self, used: Iterable[str]) -> dict[str, str | None]:
        """By reference (`env.NAME`), the value each of `used` takes (None: unset)."""
        return {reference: self._env.get(reference.partition(".")[2]) for reference in used}

    def recall(self, used: Iterable[str]) -> None:
        """Record the references of a file kept without being read again (`core/settled.py`)
        as if it had been: they are referenced, and the values of its secrets are masked."""
        for reference in used:
            source, _, name = reference.partition(".")
            self.references.add(Reference(source, name))
            value = self._env.get(name)
            if source == "secret" and value:
                self.secret_values.add(value)

    def __call__(self, text: str) -> str:
        """`text` with its placeholders replaced; raises ScalarValueError at the first bad one."""
        if "${" not in text:
            return text
        parts: list[str] = []
        has_secret = False
        position = 0
        for match in _PLACEHOLDER.finditer(text):
            parts.append(text[position : match.start()])
            position = match.end()
            body = match.group("body")
            if body is None:  # `$${`
                parts.append("${")
                continue
            shown = _shown(match.group())
            if not match.group("close"):
                raise ScalarValueError(f"unterminated placeholder {shown}; {_FORMS}", match.start())
            reference = _REFERENCE.fullmatch(body)
            if reference is None:
                raise ScalarValueError(f"unsupported placeholder {shown}; {_FORMS}", match.start())
            name = reference.group("name")
            self.references.add(Reference(reference.group("source"), name))
            self.used.add(body)
            value = self._env.get(name)
            if not value and not self._require_values:
                parts.append(match.group())
                continue
            if value is None:
                raise ScalarValueError(
                    f"{shown}: environment variable {name} is not set", match.start()
                )
            if value == "":
                raise ScalarValueError(
                    f"{shown}: environment variable {name} is empty", match.start()
                )
            if reference.group("source") == "secret":
                self.secret_values.add(value)
                has_secret = True
            parts.append(value)
        parts.append(text[position:])
        result = "".join(parts)
        if has_secret:
            self.secret_strings.add(result)
            self.secret_uses += 1
        return result


def _shown(placeholder: str, limit: int = 60) -> str:
    """A placeholder as written in the file (never a value), shortened for one-line messages."""
    if len(placeholder) > limit:
        placeholder = placeholder[: limit - 1] + "…"
    return repr(placeholder)
