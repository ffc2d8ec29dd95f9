"""What a workflow key may be: one rule for every place a key comes from (a file's path,
`import --key`, `--dir-template`, `state mv`).

- A key is its file's path under the workflows folder without the extension, `/`-separated.
  Each part is a portable file name: ASCII letters, digits, `-`, `_` and `.`, not starting with
  `.` (so never `..` or empty: a key never leaves the folder), and at most `MAX_KEY_PART`
  characters, so that its file name (`<part>.yaml`) fits in the 255 bytes file systems allow.

Pure.
"""

from __future__ import annotations

import re

KEY_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
MAX_KEY_PART = 255 - len(".yaml")
"""The longest part of a key: a file name holds 255 bytes (the key's characters are ASCII)."""

PART_RULE = "use ASCII letters, digits, '-', '_' and '.' (not first)"


def key_part_problem(part: str, shown: str | None = None) -> str | None:
    """Why `part` cannot be one `/`-separated part of a key, or None when it can; `shown` is
    how the message prints it (default: escaped like a Python string, so on one line)."""
    portable = KEY_PART.fullmatch(part) is not None
    if portable and len(part) <= MAX_KEY_PART:
        return None
    text = shown if shown is not None else repr(part)[1:-1]
    if not portable:
        return f"'{shortened(text, 80)}' cannot be part of a workflow key: {PART_RULE}"
    return (
        f"'{shortened(text)}' ({len(part)} characters) is too long for part of a workflow key: "
        f"at most {MAX_KEY_PART}, so that its file name (with .yaml) fits in 255 bytes"
    )


def key_problem(key: str) -> str | None:
    """Why `key` cannot be a workflow key, or None when it can."""
    for part in key.split("/"):
        problem = key_part_problem(part)
        if problem is not None:
            return problem
    return None


def valid_key(key: str) -> bool:
    """Whether `key` can be a workflow key (see the module docstring)."""
    return key_problem(key) is None


def shortened(text: str, limit: int = 40) -> str:
    """`text`, cut to `limit` characters and an ellipsis when longer (for messages)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(key: str) -> str:
    """`key` for a message: in quotes, escaped like a Python string (so on one line), cut to
    60 characters."""
    return f"'{shortened(repr(key)[1:-1], 60)}'"
