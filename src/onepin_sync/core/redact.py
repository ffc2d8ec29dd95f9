"""Masking of secrets (interpolated `${secret.X}` values and the API key) in any output.

Every renderer, log line and saved plan passes through `Redactor`, so a secret can only leak
through a path that bypasses it. It masks in two ways:

- by value: every current secret value, anywhere in any string (`text`, `json`);
- by place, in the workspace's side of a change (`remote`, `remote_field`): the places of a key
  where the files put a secret, now or at the last apply (`StateEntry.secret_paths`), are masked
  whole, so a secret the files no longer name (rotated, replaced by a literal, or in a removed
  file) is not shown either; and, as a rotated secret's old value is a secret too, wherever the
  desired side holds a secret the old value at the same place is masked whole (`beside`).

`learning` adds the strings the workspace holds at those places to the values masked in any
text (server messages, progress lines). `mask_tokens` masks what merely looks like a credential
(an API key pasted into the wrong option, say) in the error and warning lines the CLI prints.
Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from onepin_sync.core.models import DesiredState, Json, StateFile
from onepin_sync.core.spec_paths import SpecPath, mask_paths, strings_at

MASK = "(sensitive)"
NO_VALUE: Json = object()
"""`remote_field`'s `desired` when the desired side has no value at that path (`None` is null)."""
LEARNED_MIN = 6
"""Strings the workspace holds at secret places are masked in text from this length on, so a
short value there (`on`, `test`) does not blank out every word; views mask it by place anyway."""

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
    """Replaces every occurrence of any secret value with `(sensitive)`, and whatever the
    workspace holds at a key's secret places (`paths`, by key) in its side of a change."""

    def __init__(
        self, secrets: Iterable[str] = (), paths: Mapping[str, Iterable[SpecPath]] | None = None
    ) -> None:
        self._values = frozenset(s for s in secrets if s)
        self._paths = {key: tuple(p) for key, p in (paths or {}).items() if p}
        # Finds whether a string holds any secret at all (most hold none); `text` then masks
        # every character any secret covers.
        values = sorted(self._values, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, values))) if values else None

    def text(self, value: str) -> str:
        """`value` with every character of every occurrence of any secret masked, overlapping
        ones merged into one mask (a place already masked is left as it is).

        Occurrences overlap where a rotated secret's old string (learned) and the new value
        share characters: masking only the first would print the rest of the other.
        """
        if self._pattern is None or value == MASK or self._pattern.search(value) is None:
            return value
        covered = bytearray(len(value))  # 1 where a secret is
        for secret in self._values:
            size = len(secret)
            first = value.find(secret)
            while first != -1:
                # Chain the occurrences that overlap this run, the furthest each time: the run
                # grows by up to `size` per search, so a periodic secret costs linear time.
                start, end = first, first + size
                while (further := value.rfind(secret, start + 1, end + size - 1)) != -1:
                    start, end = further, further + size
                covered[first:end] = b"\x01" * (end - first)
                first = value.find(secret, end)
        parts, index = [], 0
        while index < len(value):
            if covered[index]:
                end = covered.find(0, index)
                parts.append(MASK)
            else:
                end = covered.find(1, index)
                parts.append(value[index : len(value) if end == -1 else end])
            index = len(value) if end == -1 else end
        return "".join(parts)

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

    def remote(
        self, key: str, spec: Mapping[str, Json], desired: Mapping[str, Json] | None = None
    ) -> dict[str, Json]:
        """The workspace's spec of `key` (`WorkflowSpec.model_dump()`), masked: by place, beside
        the `desired` spec when there is one, and by value."""
        placed = mask_paths(spec, (), self._paths.get(key, ()), MASK)
        masked: dict[str, Json] = (
            self.json(placed) if desired is None else self.beside(placed, desired)
        )
        return masked

    def remote_field(self, key: str, path: SpecPath, value: Json, desired: Json = NO_VALUE) -> Json:
        """What the workspace holds at display path `path` of `key`'s spec, masked: whole at or
        under a secret place, at the secret places under it, beside the `desired` value at the
        same path when there is one, and by value."""
        placed = mask_paths(value, path, self._paths.get(key, ()), MASK)
        return self.json(placed) if desired is NO_VALUE else self.beside(placed, desired)

    def learning(self, remote: Iterable[tuple[str, Mapping[str, Json]]]) -> Redactor:
        """This redactor, also masking in any text the strings (of `LEARNED_MIN` characters or
        more) that the workspace's specs, by key, hold at their secret places."""
        learned = {
            found
            for key, spec in remote
            for found in strings_at(spec, self._paths.get(key, ()))
            if len(found) >= LEARNED_MIN
        }
        if learned <= self._values:
            return self
        return Redactor(self._values | learned, self._paths)

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


def secret_places(desired: DesiredState, state: StateFile | None) -> dict[str, set[SpecPath]]:
    """By key, the places where the files put a secret, now or (the lockfile says) at the last
    apply, pending creates included: what `Redactor` masks by place."""
    holders = [
        *desired.workflows.items(),
        *desired.applied.items(),
        *(state.workflows.items() if state else ()),
        *(state.pending.items() if state else ()),
    ]
    places: dict[str, set[SpecPath]] = {}
    for key, holder in holders:
        if holder.secret_paths:  # most hold none: no set for them
            places.setdefault(key, set()).update(holder.secret_paths)
    return places


NO_SECRETS = Redactor()
"""Masks nothing: for values known to hold no secret."""
