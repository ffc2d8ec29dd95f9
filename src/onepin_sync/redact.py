"""Masking of secret values (interpolated `${secret.X}` values and the API key) in any output.

Every renderer, log line and saved plan passes through `Redactor`, so a secret can only leak
through a path that bypasses it. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from onepin_sync.models import Json

MASK = "(sensitive)"


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


NO_SECRETS = Redactor()
"""Masks nothing: for values known to hold no secret."""
