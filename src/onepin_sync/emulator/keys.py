"""API keys of the emulator: the default dev key, `--api-key` specs, and the in-memory key ring.

Like the real service, a key is `op_live_` + base62, bound to one workspace, and carries a set of
flat scopes. Keys live in memory for the life of the process (the default key always exists;
others come from `--api-key` flags or the control endpoint); workflows are what the database keeps.

Imports only the standard library and `emulator.errors`: the CLI imports this module without
the emulator extra installed.
"""

from __future__ import annotations

import re
import secrets
import string
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from onepin_sync.emulator.errors import EmulatorError

ALL_SCOPES: tuple[str, ...] = (
    "catalog:read",
    "dictionary:read",
    "dictionary:write",
    "templates:read",
    "uploads:write",
    "voices:read",
    "voices:write",
    "workflows:read",
    "workflows:run",
    "workflows:write",
    "workspace:read",
)
"""Every scope the real `ApiKeyScope` enum knows, sorted."""

KEY_PREFIX = "op_live_"
DEFAULT_API_KEY = "op_live_onepinSyncLocalEmulatorDevKey001"
"""The fixed, documented dev key: bound to `DEFAULT_WORKSPACE_ID`, with every scope."""
DEFAULT_WORKSPACE_ID = "00000000-0000-4000-8000-000000000001"
DEFAULT_USER_ID = "00000000-0000-4000-8000-000000000002"
DEFAULT_KEY_ID = "00000000-0000-4000-8000-000000000003"

_KEY_PATTERN = re.compile(r"op_live_[A-Za-z0-9]+")
_BASE62 = string.ascii_letters + string.digits
_DERIVED_IDS = uuid.UUID("6f1e3a52-8d0b-4c6e-9a57-0e1c5b7d2f40")  # namespace for seeded keys' ids


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One API key and what it grants."""

    key: str
    key_id: str
    user_id: str
    workspace_id: str
    scopes: frozenset[str]


DEFAULT_KEY = ApiKey(
    key=DEFAULT_API_KEY,
    key_id=DEFAULT_KEY_ID,
    user_id=DEFAULT_USER_ID,
    workspace_id=DEFAULT_WORKSPACE_ID,
    scopes=frozenset(ALL_SCOPES),
)


def check_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes as a set; raises ValueError naming the first unknown one."""
    chosen = frozenset(scopes)
    unknown = sorted(chosen - set(ALL_SCOPES))
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r} (known: {', '.join(ALL_SCOPES)})")
    return chosen


def normalize_workspace_id(value: str) -> str:
    """The canonical (lowercase, hyphenated) form of a workspace UUID; ValueError if not one."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError(f"workspace id {value!r} is not a UUID") from None


def parse_key_spec(spec: str) -> ApiKey:
    """Parse `KEY[:WORKSPACE[:SCOPES]]` (SCOPES comma-separated; scopes themselves contain ':').

    An omitted or empty WORKSPACE means the default workspace; omitted SCOPES means every scope,
    an empty SCOPES list means none. Key and user ids are derived from the key, so they are stable
    across restarts. Raises EmulatorError for a malformed spec.
    """
    key, _, rest = spec.partition(":")
    workspace_part, has_scopes, scopes_part = rest.partition(":")
    if not _KEY_PATTERN.fullmatch(key):
        raise EmulatorError(
            f"--api-key {spec!r}: a key is {KEY_PREFIX} followed by letters and digits"
        )
    try:
        workspace_id = (
            normalize_workspace_id(workspace_part) if workspace_part else DEFAULT_WORKSPACE_ID
        )
        if has_scopes:
            scopes = check_scopes(s.strip() for s in scopes_part.split(",") if s.strip())
        else:
            scopes = frozenset(ALL_SCOPES)
    except ValueError as exc:
        raise EmulatorError(f"--api-key {spec!r}: {exc}") from None
    return ApiKey(
        key=key,
        key_id=str(uuid.uuid5(_DERIVED_IDS, f"key:{key}")),
        user_id=str(uuid.uuid5(_DERIVED_IDS, f"user:{key}")),
        workspace_id=workspace_id,
        scopes=scopes,
    )


def generate_key_secret() -> str:
    """A fresh key in the real format: `op_live_` + 32 random base62 characters."""
    return KEY_PREFIX + "".join(secrets.choice(_BASE62) for _ in range(32))


class KeyRing:
    """The keys the running emulator accepts, by their secret."""

    def __init__(self, keys: Iterable[ApiKey] = ()) -> None:
        self._by_secret: dict[str, ApiKey] = {DEFAULT_KEY.key: DEFAULT_KEY}
        for key in keys:
            self._by_secret[key.key] = key

    def authenticate(self, authorization: str | None) -> ApiKey | None:
        """The key named by an `Authorization: Bearer <key>` header value, if it is known."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self._by_secret.get(token.strip())

    def create(
        self, workspace_id: str | None = None, scopes: Iterable[str] | None = None
    ) -> ApiKey:
        """A new random key; in a fresh workspace of its own unless `workspace_id` is given."""
        key = ApiKey(
            key=generate_key_secret(),
            key_id=str(uuid.uuid4()),
            user_id=str(uuid.uuid4()),
            workspace_id=workspace_id or str(uuid.uuid4()),
            scopes=frozenset(ALL_SCOPES) if scopes is None else check_scopes(scopes),
        )
        self._by_secret[key.key] = key
        return key
