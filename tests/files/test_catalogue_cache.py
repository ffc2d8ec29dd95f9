"""The node catalogue cache: kept when it can be, never an error when it cannot be read or
written (the bundled snapshot, or the catalogue just served, stands in)."""

from __future__ import annotations

from pathlib import Path

from onepin_sync.core.catalog import BUNDLED
from onepin_sync.files.catalogue_cache import cache_catalogue, cache_path, cached_catalogue

URL = "https://api.example.com"
NODES: list[object] = [{"node_type": "source_script", "inputs": [], "outputs": []}]


def test_a_cached_catalogue_is_read_back(tmp_path: Path) -> None:
    assert cache_catalogue(tmp_path / ".onepin-sync", URL, NODES) is None
    assert set(cached_catalogue(tmp_path / ".onepin-sync", URL).node_types) == {"source_script"}


def test_a_folder_that_cannot_be_made_says_why_and_raises_nothing(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    local = tmp_path / "file" / ".onepin-sync"  # under a regular file: never a folder

    why = cache_catalogue(local, URL, NODES)

    assert why is not None
    assert why == f"{local}: Not a directory"
    assert cached_catalogue(local, URL) is BUNDLED


def test_a_cache_nested_too_deeply_is_ignored(tmp_path: Path) -> None:
    path = cache_path(tmp_path, URL)
    path.write_text("[" * 100_000 + "]" * 100_000)

    assert cached_catalogue(tmp_path, URL) is BUNDLED
