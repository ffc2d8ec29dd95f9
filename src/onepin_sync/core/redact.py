"""Masking of secret values (interpolated `${secret.X}` values and the API key) in any output.

Every renderer, log line and saved plan passes through `Redactor`, so a secret can only leak
through a path that bypasses it. Only current secret values are known, so the old side of a
change (what the workspace holds) is masked by place with `beside`: wherever the new side holds a
secret, the old value at the same place is masked whole, as a rotated secret's old value is a
secret too. `mask_tokens` masks what merely looks like a credential (an API key pasted into the
wrong option, say) in the error and warning lines the CLI prints. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from onepin_sync.core.models import Json

MASK = "(sensitive)"

_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"op_(?:live|test)_[A-Za-z0-9]+"  # an Onepin API key (`op_live_` + 32 base62 characters)
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"  # a JWT (a dashboard session)
    # 32 or more letters and digits mixing lower case, upper case and digits: a base62 secret
    # (not a hex hash, a ULID or a UUID, none of which mixes the cases)
    r"|(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[A-Z])(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{32,}"
    r")(?![A-Za-z0-9])"
)


def mask_tokens(text: str) -> str:
    """`text` with everything that looks like an API key or another credential masked."""
    return _TOKEN.sub(MASK, text)


class Redactor:
    """Replaces every occurrence of any secret value with `(sensitive)`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        values = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, values))) if values else None

    def text(self, value: str) -> str:
        return value if self._pattern is None else self._pattern.sub(MASK, value)

    def json(self, value: Json) -> Json:
        """A copy of a JSON value with secrets masked in every string (keys included)."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.json(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.json(v) for v in value]
        return value

    def holds_secret(self, value: Json) -> bool:
        """Whether any string (or key) in `value` contains a secret."""
        if self._pattern is None:
            return False
        if isinstance(value, str):
            return self._pattern.search(value) is not None
        if isinstance(value, Mapping):
            return any(self.holds_secret(str(k)) or self.holds_secret(v) for k, v in value.items())
        if isinstance(value, list | tuple):
            return any(self.holds_secret(v) for v in value)
        return False

    def beside(self, before: Json, after: Json) -> Json:
        """`before` masked, and masked whole wherever `after` holds a secret at the same place.

        Places match by mapping key, by `id` for lists of objects with ids (nodes, edges) and by
        index for other lists.
        """
        if self._pattern is None:
            return before
        if isinstance(after, str | int | float | bool) or after is None:
            return MASK if self.holds_secret(after) else self.json(before)
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            return {
                self.text(str(k)): self.beside(v, after[k]) if k in after else self.json(v)
                for k, v in before.items()
            }
        if isinstance(before, list | tuple) and isinstance(after, list | tuple):
            return self._beside_list(before, after)
        return MASK if self.holds_secret(after) else self.json(before)

    def _beside_list(self, before: Sequence[Json], after: Sequence[Json]) -> list[Json]:
        by_id = {key: item for item in after if (key := _id(item)) is not None}
        masked = []
        for index, item in enumerate(before):
            key = _id(item)
            if key is not None and key in by_id:
                masked.append(self.beside(item, by_id[key]))
            elif not by_id and index < len(after):
                masked.append(self.beside(item, after[index]))
            else:
                masked.append(self.json(item))
        return masked


def _id(item: Json) -> str | None:
    value = item.get("id") if isinstance(item, Mapping) else None
    return value if isinstance(value, str) else None


NO_SECRETS = Redactor()
"""Masks nothing: for values known to hold no secret."""
