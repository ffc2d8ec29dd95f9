"""The node catalogue a server last served, cached per target in `.onepin-sync/` with its fetch
time, so that offline `validate` and the next run check files against what that server knows
(a node type newer than the bundled snapshot) before they talk to it. A cache that cannot be
read is ignored: the bundled snapshot is the fallback, never an error. A cache that cannot be
written (a read-only checkout, as CI runners may mount one) is no error either: the run goes on
with the catalogue it was served, and the caller warns that it was not kept.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from onepin_sync.core.catalog import BUNDLED, Catalogue, catalogue_from_nodes
from onepin_sync.files.reader import read_text
from onepin_sync.files.writer import atomic_write


def cache_path(local_dir: Path, api_url: str) -> Path:
    """Where the catalogue of the target `api_url` is cached."""
    digest = hashlib.sha256(api_url.encode()).hexdigest()[:16]
    return local_dir / f"catalogue.{digest}.json"


def cached_catalogue(local_dir: Path, api_url: str) -> Catalogue:
    """The cached catalogue of `api_url`, else the bundled snapshot."""
    try:
        raw = json.loads(read_text(cache_path(local_dir, api_url)))
        if raw.get("api_url") != api_url:
            return BUNDLED
        source = f"the catalogue {api_url} served at {raw['fetched_at']}"
        return catalogue_from_nodes(raw["node_types"], source)
    except (OSError, ValueError, KeyError, AttributeError, TypeError, RecursionError):
        return BUNDLED


def cache_catalogue(local_dir: Path, api_url: str, node_types: list[object]) -> str | None:
    """Record what `api_url` served as its node catalogue (the `data` of `GET /api/v1/nodes`);
    why it could not be recorded (the folder cannot be created or written), else None."""
    document = {
        "api_url": api_url,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "node_types": node_types,
    }
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    path = cache_path(local_dir, api_url)
    try:
        atomic_write(path, text)
    except OSError as exc:
        return f"{exc.filename or path}: {exc.strerror or exc}"
    return None
