"""What a workflow key, a workflow id and a recorded hash may be: one rule each, for every place
they come from (a file's path, `import --key`, `--dir-template`, `state mv`, the lockfile, the
journal, the API's answers).

- A key is its file's path under the workflows folder without the extension, `/`-separated.
  Each part is a portable file name: ASCII letters, digits, `-`, `_` and `.`, not starting with
  `.` (so never `..` or empty: a key never leaves the folder), and at most `MAX_KEY_PART`
  characters, so that its file name (`<part>.yaml`) fits in the 255 bytes file systems allow.
- A workflow id is a UUID in the form the API answers with: lower case, dashed.
- A recorded hash is `sha256:` and 64 lower-case hex digits (`fingerprint._digest`);
  an `applied_hash` may also be `NEVER_APPLIED` (below).

The lockfile and the journal refuse anything else as damage, and the client puts every id the
API answers with in this form (or refuses it), so the tool never writes what it would refuse.

Pure.
"""

from __future__ import annotations

import re

_KEY_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
MAX_KEY_PART = 255 - len(".yaml")
"""The longest part of a key: a file name holds 255 bytes (the key's characters are ASCII)."""

WORKFLOW_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
HASH_PATTERN = r"^sha256:[0-9a-f]{64}$"
NEVER_APPLIED = "never-applied"
"""The `applied_hash` of a workflow adopted with a file that was never applied to it (`import`
of an existing file, `state rebuild` of a file that differs): the next plan shows the update."""
APPLIED_HASH_PATTERN = rf"^(?:sha256:[0-9a-f]{{64}}|{NEVER_APPLIED})$"
_WORKFLOW_ID = re.compile(WORKFLOW_ID_PATTERN)
_HASH = re.compile(HASH_PATTERN)
_APPLIED_HASH = re.compile(APPLIED_HASH_PATTERN)

_PART_RULE = "use ASCII letters, digits, '-', '_' and '.' (not first)"


def key_part_problem(part: str, shown: str | None = None) -> str | None:
    """Why `part` cannot be one `/`-separated part of a key, or None when it can; `shown` is
    how the message prints it (default: escaped like a Python string, so on one line)."""
    portable = _KEY_PART.fullmatch(part) is not None
    if portable and len(part) <= MAX_KEY_PART:
        return None
    text = shown if shown is not None else repr(part)[1:-1]
    if not portable:
        return f"'{_shortened(text, 80)}' cannot be part of a workflow key: {_PART_RULE}"
    return (
        f"'{_shortened(text)}' ({len(part)} characters) is too long for part of a workflow key: "
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


def is_workflow_id(value: str) -> bool:
    """Whether `value` is a workflow id as the API answers with it (see the module docstring)."""
    return _WORKFLOW_ID.fullmatch(value) is not None


def is_hash(value: str) -> bool:
    """Whether `value` is a recorded hash (see the module docstring)."""
    return _HASH.fullmatch(value) is not None


def is_applied_hash(value: str) -> bool:
    """Whether `value` can be an `applied_hash`: a hash, or `NEVER_APPLIED`."""
    return _APPLIED_HASH.fullmatch(value) is not None


def _shortened(text: str, limit: int = 40) -> str:
    """`text`, cut to `limit` characters and an ellipsis when longer (for messages)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(key: str) -> str:
    """`key` for a message: in quotes, escaped like a Python string (so on one line), cut to
    60 characters."""
    return f"'{_shortened(repr(key)[1:-1], 60)}'"
