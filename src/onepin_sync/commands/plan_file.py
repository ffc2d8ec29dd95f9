"""Reading a saved plan file (`plan --out FILE`, `import --all --out FILE`) for `apply FILE`.

One reading for both kinds of plan, so a file that is not one is refused the same way (exit 3,
one line naming it) whichever of them looks at it first: `apply` asks whether it is an import
plan before it reads it as a plan of changes. What the document says is checked by
`core.plan_document.read_plan_document`.
"""

from __future__ import annotations

import json
from pathlib import Path

from onepin_sync.core.models import Json
from onepin_sync.errors import InputError

API_KEY_PREFIXES = ("op_live_", "op_test_")
"""How Onepin API keys start: a plan file argument named like one is a key in the wrong place."""


def read_plan_file(path: Path) -> Json:
    """The JSON value in the plan file at `path`; InputError when there is none to read.

    A value nested deeper than the JSON parser goes (about a thousand levels; a plan is a few
    dozen deep) is refused as not a plan, as the lockfile refuses one: the parser gives up with
    a RecursionError, which is no user's mistake to see.
    """
    if path.name.startswith(API_KEY_PREFIXES):
        # A key typed where the plan file goes (a forgotten --api-key): never echo it back.
        raise InputError(
            "the plan file argument looks like an API key; pass keys with --api-key or "
            "ONEPIN_API_KEY"
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"plan file {path} does not exist") from None
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, not JSON
        raise InputError(f"{path}: cannot read the plan file ({exc})") from None
    except RecursionError:
        raise InputError(f"{path}: not an onepin-sync plan file (nested too deeply)") from None
