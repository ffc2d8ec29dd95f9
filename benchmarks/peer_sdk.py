"""The peer: the sync script a user would write with the official `onepin` SDK (0.16.1).

    python benchmarks/peer_sdk.py --dir workflows --base-url URL --api-key KEY          # plan
    python benchmarks/peer_sdk.py --dir workflows --base-url URL --api-key KEY --apply  # sync
    python benchmarks/peer_sdk.py --version

What the benchmarks compare onepin-sync with, written the straightforward way and fairly: the C
YAML loader when PyYAML has it, the SDK's own client with its default retries (429 and 5xx,
honouring `Retry-After`), one request at a time as the SDK's synchronous client makes them.

1. read every `*.yaml` under --dir: `name`, `description`, `definition`;
2. list the workspace at the SDK's default page size (the server's 20), without definitions;
3. GET each listed workflow a file names (matched by name) and compare: the remote must hold
   every value the file sets (the server adds config defaults on its side, and node positions
   where the file has none, so a plain `==` would call every workflow changed);
4. print `create C, patch P, unchanged U`; with --apply, create and patch one by one, giving a
   node the file leaves unplaced a position in a row (the API requires one; onepin-sync lays
   such nodes out itself).

Exits 0 when every request succeeded, 1 on the first one that did not (after the SDK's retries).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml
from onepin import OnePinClient

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_files(folder: Path) -> dict[str, dict[str, Any]]:
    """Each file's document by workflow name."""
    documents = {}
    for path in sorted(folder.rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            document = yaml.load(handle, Loader=LOADER)  # the C safe loader
        documents[document["name"]] = document
    return documents


def list_remote(client: OnePinClient) -> dict[str, str]:
    """Workflow id by name, every page at the SDK's default page size."""
    ids: dict[str, str] = {}
    offset = 0
    while True:
        page = client.workflows.list(offset=offset)
        ids.update((item.name, item.id) for item in page.data)
        offset += len(page.data)
        if not page.data or offset >= page.pagination.total:
            return ids


def holds(remote: Any, wanted: Any) -> bool:
    """Whether `remote` has every value `wanted` sets (lists item by item, same length)."""
    if isinstance(wanted, dict):
        return isinstance(remote, dict) and all(
            key in remote and holds(remote[key], value) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(remote, list)
            and len(remote) == len(wanted)
            and all(holds(r, w) for r, w in zip(remote, wanted, strict=True))
        )
    return bool(remote == wanted)


def placed(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition with a position for every node (left to right where the file has none)."""
    nodes = definition.get("graph", {}).get("nodes", [])
    if all("position" in node for node in nodes):
        return definition
    graph = dict(definition["graph"])
    graph["nodes"] = [
        {**node, "position": node.get("position", {"x": 280 * column, "y": 0})}
        for column, node in enumerate(nodes)
    ]
    return {**definition, "graph": graph}


def sync(client: OnePinClient, documents: dict[str, dict[str, Any]], apply: bool) -> str:
    remote_ids = list_remote(client)
    creates, patches, unchanged = 0, 0, 0
    for name, document in documents.items():
        description = document.get("description")
        definition = document.get("definition", {})
        workflow_id = remote_ids.get(name)
        if workflow_id is None:
            creates += 1
            if apply:
                client.workflows.create_workflow(
                    name=name, description=description, definition=placed(definition)
                )
            continue
        current = client.workflows.get(workflow_id).data
        if current.description == description and holds(current.definition, definition):
            unchanged += 1
            continue
        patches += 1
        if apply:
            client.workflows.patch_workflow(
                workflow_id, description=description, definition=placed(definition)
            )
    return f"create {creates}, patch {patches}, unchanged {unchanged}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="store_true", help="print the SDK's version")
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--base-url")
    parser.add_argument("--api-key")
    parser.add_argument("--apply", action="store_true")
    args = parser.parse_args(argv)
    if args.version:
        from importlib.metadata import version

        print(f"peer_sdk (onepin {version('onepin')})")
        return 0
    if args.dir is None or args.base_url is None or args.api_key is None:
        parser.error("--dir, --base-url and --api-key are required")
    client = OnePinClient(token=args.api_key, base_url=args.base_url)
    try:
        print(sync(client, read_files(args.dir), args.apply))
    except Exception as exc:  # one line, like a user's script wrapped in a try
        print(f"peer_sdk: {type(exc).__name__}: {str(exc)[:300]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
