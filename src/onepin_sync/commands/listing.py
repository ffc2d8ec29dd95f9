"""`list [--unmanaged]`: the workspace's workflows, managed or not, and the key an import would
give each unmanaged one (`core/adoption.py`). Reads only: one listing, no lock, no write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from onepin_sync.commands.context import (
    ClientOptions,
    RunEnvironment,
    Ui,
    connect,
    read_inputs_online,
)
from onepin_sync.commands.preparation import prepare
from onepin_sync.core.adoption import DEFAULT_TEMPLATE, candidate_key, check_template
from onepin_sync.core.redact import MASK
from onepin_sync.errors import ExitCode
from onepin_sync.files.project import TargetOptions


@dataclass(frozen=True)
class ListSettings:
    target: TargetOptions
    unmanaged_only: bool = False
    dir_template: str = DEFAULT_TEMPLATE
    client: ClientOptions = field(default_factory=ClientOptions)


@dataclass(frozen=True)
class ListedWorkflow:
    id: str
    name: str
    updated_at: datetime
    managed_as: str | None  # the lockfile key, None when unmanaged
    import_key: str | None  # the key `import` would give it (unmanaged only)

    def shown_import_key(self, mask: Callable[[str], str]) -> str | None:
        """`import_key` as output shows it: masked whole when the name it is made from holds a
        secret (`mask` masks the name)."""
        if self.import_key is None or mask(self.name) == self.name:
            return self.import_key
        return MASK


@dataclass(frozen=True)
class ListOutcome:
    workflows: tuple[ListedWorkflow, ...]  # sorted: managed by key, then unmanaged by name
    unmanaged_only: bool
    exit_code: int = ExitCode.OK


async def run(settings: ListSettings, env: RunEnvironment, ui: Ui) -> ListOutcome:
    check_template(settings.dir_template)
    inputs = await read_inputs_online(settings.target, env, ui)
    async with connect(inputs, settings.client, env) as (target, client):
        prepared = await prepare(inputs, target, client, ui, persist=False)
        listing = prepared.listing
        if listing is None:
            listing = await client.list_workflows()
    managed = {entry.id: key for key, entry in prepared.state.workflows.items()}
    rows = [
        ListedWorkflow(
            id=w.id,
            name=w.name,
            updated_at=w.updated_at,
            managed_as=managed.get(w.id),
            import_key=None if w.id in managed else candidate_key(settings.dir_template, w),
        )
        for w in listing
        if not (settings.unmanaged_only and w.id in managed)
    ]
    rows.sort(key=lambda r: (r.managed_as is None, r.managed_as or "", r.name, r.id))
    return ListOutcome(tuple(rows), settings.unmanaged_only)
