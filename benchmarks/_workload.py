"""Shared workload for the benchmarks: workflow files and a seeded emulator workspace.

    folder = write_workflow_files(root / "workflows", n)          # N files, ~10 nodes each
    with BenchEmulator(root / "emulator.db", latency_ms=20) as emulator:  # here, 127.0.0.1
        ws = emulator.seeded_workspace(folder, root / "onepin-sync.lock")  # + matching lockfile
        emulator.requests(ws)                                      # what a run cost, from the log

Everything is deterministic: file `i` depends only on (SEED, i), so the first 1,000 files of a
10,000-file workload are the 1,000-file workload. The emulator's ids and timestamps are its own.

Seeding writes straight into the emulator's SQLite file through `WorkflowStore` (10,000 POSTs over
HTTP would dominate the run) and builds each lockfile entry with the library's own
`entry_for`, from the exact JSON the listing serves, so the workspace and lockfile are what
`apply` would have left behind: a plan over them must be empty (the benchmarks check it).
The measured commands run in processes of their own (`run.py`); the emulator stays in the
harness process, as a real API would be elsewhere.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
import yaml

from onepin_sync.api.decoding import read_listing
from onepin_sync.core.fingerprint import IgnoreRules, desired_fingerprint, listed_fingerprint
from onepin_sync.core.models import RemoteWorkflow, StateEntry, StateFile
from onepin_sync.core.redact import Redactor
from onepin_sync.core.settled import desired_file_hash
from onepin_sync.core.transitions import entry_for
from onepin_sync.emulator.control import EmulatorControl, RequestRecord, WorkspaceKey
from onepin_sync.emulator.embedded import EmbeddedEmulator
from onepin_sync.emulator.store import WorkflowStore
from onepin_sync.emulator.validation import check_definition, encode_definition
from onepin_sync.emulator.workflow_view import workflow_json
from onepin_sync.files.loader import load_workflows
from onepin_sync.state.lockfile import write_lockfile

SEED = 20_241_128
PAGE_SIZE = 100  # the client's listing page size (api.client.PAGE_SIZE)
BENCH_LINEAGE = "6d7b1c1e-5a43-4b8e-9d0e-000000000b01"
BENCH_SALT = "0123456789abcdef0123456789abcdef"
LISTING_PATH = "/api/v1/workflows"
WHOAMI_PATH = "/api/v1/auth/whoami"
NODES_PATH = "/api/v1/nodes"
SESSION_SIGNATURES = frozenset({("GET", WHOAMI_PATH, "", 200), ("GET", NODES_PATH, "", 200)})
"""(method, path, query, status) of what every run that talks to the API sends once besides
the listing: the key's identity (the lockfile's workspace binding) and the server's node
catalogue (specs are compared with its defaults); both go out with the first listing page."""
SESSION_REQUESTS = len(SESSION_SIGNATURES)
HEADER = "# yaml-language-server: $schema=../../../schemas/workflow.schema.json\n"

# --- realistic workflow files --------------------------------------------------------------------

_TEAMS = ("support", "billing", "marketing", "education", "sales", "onboarding", "ops", "retention")
_TOPICS = (
    "welcome-call",
    "payment-reminder",
    "renewal-notice",
    "product-launch",
    "lesson-narration",
    "appointment-confirmation",
    "survey-invite",
    "outage-update",
)
_LANGUAGES = ("es-es", "fr-fr", "de-de", "it-it", "pt-br", "ja-jp", "nl-nl", "pl-pl")
_VOICES = (
    ("EXAVITQu4vr4xnSDxMaL", "elevenlabs", "eleven_multilingual_v2", "Sarah"),
    ("TxGEqnHWrfWFTfGW9XjX", "elevenlabs", "eleven_multilingual_v2", "Josh"),
    ("en-US-AndrewNeural", "azure", "neural", "Andrew"),
    ("es-ES-ElviraNeural", "azure", "neural", "Elvira"),
    ("fr-FR-DeniseNeural", "azure", "neural", "Denise"),
    ("ja-JP-KeitaNeural", "azure", "neural", "Keita"),
)
_LINES = (
    "Hi, and welcome to Northwind Telecom!",
    "Your account is active and your first bill arrives on the 1st of next month.",
    "This is a friendly reminder that invoice {n} is due on Friday.",
    "Meet Aurora X{n}: twice the battery, half the weight.",
    "A fraction tells us how many equal parts of a whole we have.",
    "Your appointment on the {n}th is confirmed; reply 2 to reschedule.",
    "We would love to hear how we did: the survey takes about 3 minutes.",
    "Service in your area is restored; thank you for your patience.",
    "If you need anything, just call us back on this number. Have a great day!",
)


def workflow_key(index: int) -> str:
    """`<team>/<topic>-<index>`: files spread over a few folders, as in a real repository."""
    return f"{_TEAMS[index % len(_TEAMS)]}/{_TOPICS[(index // 8) % len(_TOPICS)]}-{index:05d}"


def workflow_document(index: int, seed: int = SEED, script_chars: int = 0) -> dict[str, Any]:
    """One realistic workflow file (8-12 nodes, avg ~10), a function of (seed, index) only.

    `script_chars` makes the narration script at least that long (a long voice script: the
    benchmark of large definitions); by default it is three lines.

    The shape of the examples: script -> normalizer -> translator -> [phonemizer] -> generator ->
    validators (pass onwards, fail back to the generator or through a corrector) -> export; a
    quarter of the files leave node positions to the loader's layout.
    """
    rng = random.Random(f"{seed}:{index}")
    languages = rng.sample(_LANGUAGES, rng.randint(1, 3))
    text = "".join(rng.choice(_LINES).format(n=index % 97 + 1) + "\n" for _ in range(3))
    while len(text) < script_chars:
        text += rng.choice(_LINES).format(n=rng.randint(1, 9999)) + "\n"
    voice_map = {lang: [_voice(rng)] for lang in ["en-us", *languages]}
    nodes: list[dict[str, Any]] = [
        _node("script", "source_script", {"source_language": "en-us", "script_text": text}),
        _node("normalize", "operator_normalizer", {"expand_numbers": rng.random() < 0.8}),
        _node(
            "translate",
            "operator_translator",
            {"target_languages": languages, "formality": rng.choice(["formal", "informal"])},
        ),
    ]
    if rng.random() < 0.5:
        nodes.append(
            _node("brand-terms", "operator_phoneme_injector", {"dictionary_ids": ["dict_brand"]})
        )
    speed = rng.choice([0.9, 1.0, 1.1])
    nodes.append(_node("voice", "operator_generator", {"speed": speed, "voice_map": voice_map}))
    edges: list[dict[str, Any]] = []
    _chain(edges, [n["id"] for n in nodes])
    previous = "voice"
    validators = ["pronunciation", "naturalness", "noise", "error-rate"]
    for name in validators[: rng.randint(3, 4)]:
        node_type = "validator_error_rate" if name == "error-rate" else f"validator_{name}"
        config = {"threshold": rng.randint(75, 95), "max_retries": rng.randint(1, 3)}
        nodes.append(_node(name, node_type, config))
        _edge(edges, previous, "pass" if previous != "voice" else "lines", name)
        if name == "pronunciation":
            nodes.append(
                _node("fix-words", "operator_pronunciation_corrector", {"max_corrections": 5})
            )
            _edge(edges, name, "fail", "fix-words")
            _edge(edges, "fix-words", "lines", "voice")
        else:
            _edge(edges, name, "fail", "voice")
        previous = name
    nodes.append(_node("export", "sink_preview", {"format": rng.choice(["wav", "mp3"])}))
    _edge(edges, previous, "pass", "export")
    if rng.random() < 0.75:
        for column, node in enumerate(nodes):
            node["position"] = {"x": 280 * column, "y": 160 * (node["id"] == "fix-words")}
    document: dict[str, Any] = {
        "name": f"{_TOPICS[(index // 8) % len(_TOPICS)].replace('-', ' ').title()} #{index}",
        "description": f"Benchmark workflow {index}: {len(nodes)} nodes, {len(languages) + 1} "
        "languages.",
    }
    if rng.random() < 0.05:
        document["lifecycle"] = {"prevent_destroy": True}
    execution: dict[str, Any] = {"steps": [n["id"] for n in nodes]}
    if rng.random() < 0.3:
        execution["params"] = {"campaign": f"c-{index % 13}", "priority": rng.randint(1, 5)}
    document["definition"] = {"graph": {"nodes": nodes, "edges": edges}, "execution": execution}
    return document


def edited_document(index: int, seed: int = SEED) -> dict[str, Any]:
    """File `index` after a typical desired edit: a voice speed and one validator threshold."""
    document = workflow_document(index, seed)
    for node in document["definition"]["graph"]["nodes"]:
        if node["id"] == "voice":
            node["config"]["speed"] = 1.25
        elif node["type"].startswith("validator_"):
            node["config"]["threshold"] = 99
    return document


def _voice(rng: random.Random) -> dict[str, str]:
    voice_id, provider, model, name = rng.choice(_VOICES)
    return {"voice_id": voice_id, "provider": provider, "model": model, "voice_name": name}


def _node(node_id: str, node_type: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "config": config}


def _edge(edges: list[dict[str, Any]], source: str, port: str, target: str) -> None:
    edges.append(
        {
            "id": f"e{len(edges) + 1}",
            "source": source,
            "sourcePort": port,
            "target": target,
            "targetPort": "lines",
        }
    )


def _chain(edges: list[dict[str, Any]], ids: Sequence[str]) -> None:
    for source, target in itertools.pairwise(ids):
        _edge(edges, source, "lines", target)


def workflow_yaml(document: dict[str, Any]) -> str:
    """The file text, laid out like the examples: block scripts, flow-style edges and positions."""
    return HEADER + yaml.dump(
        _styled(document), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )


class _FlowMap(dict[str, Any]):
    """A mapping written on one line (`{x: 0, y: 160}`)."""


class _FlowList(list[Any]):
    """A list written on one line (`[es-es, fr-fr]`)."""


class _Block(str):
    """A multi-line string written as a literal block (`|`)."""

    __slots__ = ()


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """The fast (C) safe dumper, with the three styles above."""


_Dumper.add_representer(
    _FlowMap,
    lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True),
)
_Dumper.add_representer(
    _FlowList,
    lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True),
)
_Dumper.add_representer(
    _Block, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style="|")
)


def _styled(value: Any) -> Any:
    """Leaf mappings (positions, edges, voices) and lists of plain values go on one line."""
    if isinstance(value, dict):
        styled = {k: _styled(v) for k, v in value.items()}
        leaf = all(not isinstance(v, dict | list | _Block) for v in styled.values())
        return _FlowMap(styled) if leaf else styled
    if isinstance(value, list):
        items = [_styled(v) for v in value]
        leaf = all(not isinstance(v, dict | list) for v in value)
        return _FlowList(items) if leaf else items
    if isinstance(value, str) and "\n" in value:
        return _Block(value)
    return value


def write_workflow_files(
    folder: Path, n: int, seed: int = SEED, *, script_chars: int = 0, edited: bool = False
) -> Path:
    """Write files 0..n-1 under `folder` (created), or their `edited_document`; returns `folder`."""
    for index in range(n):
        document = (
            edited_document(index, seed) if edited else workflow_document(index, seed, script_chars)
        )
        write_workflow_file(folder, index, document)
    return folder


def write_workflow_file(folder: Path, index: int, document: dict[str, Any]) -> None:
    path = folder / f"{workflow_key(index)}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow_yaml(document), encoding="utf-8")


def changed_indices(n: int, percent: float) -> list[int]:
    """Which files a "percent changed" case edits: evenly spread, deterministic."""
    count = max(1, round(n * percent / 100))
    step = n / count
    return [int(i * step) for i in range(count)]


def listing_pages(n: int) -> int:
    """Requests one full listing costs: ceil(N/100), and 1 for an empty workspace."""
    return max(1, math.ceil(n / PAGE_SIZE))


# --- the emulator and a seeded workspace ---------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    """One isolated emulator workspace and the key that reaches it."""

    base_url: str
    key: WorkspaceKey

    @property
    def api_key(self) -> str:
        return self.key.api_key

    @property
    def workspace_id(self) -> str:
        return self.key.workspace_id


class BenchEmulator:
    """The embedded emulator over a SQLite file, with its control endpoint, in this process."""

    def __init__(
        self, db_path: Path, *, rate_limit_per_min: int | None = None, latency_ms: float = 0.0
    ) -> None:
        self.db_path = db_path
        self._emulator = EmbeddedEmulator(
            db_path, control=True, rate_limit_per_min=rate_limit_per_min, latency_ms=latency_ms
        )
        self._control: EmulatorControl | None = None

    def __enter__(self) -> Self:
        self._emulator.start()
        self._control = EmulatorControl(self._emulator.base_url, timeout=120.0)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._control is not None:
            self._control.close()
        self._emulator.stop()

    @property
    def base_url(self) -> str:
        return self._emulator.base_url

    @property
    def control(self) -> EmulatorControl:
        assert self._control is not None, "use BenchEmulator as a context manager"
        return self._control

    def new_workspace(self) -> Workspace:
        return Workspace(self.base_url, self.control.new_workspace())

    def requests(self, workspace: Workspace) -> list[RequestRecord]:
        return self.control.requests(workspace_id=workspace.workspace_id)

    def _with_listed_hashes(
        self, workspace: Workspace, entries: dict[str, StateEntry]
    ) -> dict[str, StateEntry]:
        """`entries` with the `listed_hash` an apply's verification listing records: how the
        listing spells each workflow, read as the client reads it (the harness clears the
        request log before each measured run)."""
        digests: dict[str, str | None] = {}
        headers = {"Authorization": f"Bearer {workspace.api_key}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=120.0) as client:
            for page in range(listing_pages(len(entries))):
                params = {
                    "include_definition": "true",
                    "limit": PAGE_SIZE,
                    "offset": page * PAGE_SIZE,
                }
                response = client.get(LISTING_PATH, params=params)
                response.raise_for_status()
                body, listed = read_listing(response)
                digests.update(
                    (item["id"], d) for item, d in zip(body["data"], listed, strict=True)
                )
        out = {}
        for key, entry in entries.items():
            digest = digests[entry.id]
            assert digest is not None, f"{key}: listed without a definition"
            out[key] = entry.model_copy(
                update={"listed_hash": listed_fingerprint(digest, BENCH_SALT)}
            )
        return out

    def seeded_workspace(self, folder: Path, lockfile: Path) -> Workspace:
        """A new workspace holding every workflow of `folder`, and the lockfile managing them."""
        workspace = self.new_workspace()
        desired = load_workflows(folder, env={})
        secrets = Redactor(desired.secret_values)
        entries: dict[str, StateEntry] = {}
        store = WorkflowStore.open(self.db_path)  # a second connection; the file is in WAL mode
        try:
            for key in sorted(desired.workflows):
                wanted = desired.workflows[key]
                spec = wanted.spec
                problems = check_definition(dict(spec.definition))
                if problems:
                    raise ValueError(f"{key}: the generated definition is invalid: {problems[0]}")
                record = store.create(
                    workspace_id=workspace.workspace_id,
                    user_id=workspace.key.user_id,
                    name=spec.name,
                    name_source="user",
                    description=spec.description,
                    definition_json=encode_definition(spec.definition),
                )
                listed = RemoteWorkflow.model_validate(
                    json.loads(json.dumps(workflow_json(record)))
                )
                # Recorded under the file's ignore rules, as an apply records them (a quarter of
                # the files place no node, which is a position rule each), with the file it was
                # applied from (its bytes' hash).
                rules = IgnoreRules.of(wanted.ignore_changes)
                applied = desired_fingerprint(spec, BENCH_SALT, rules)
                entries[key] = entry_for(
                    listed,
                    applied,
                    BENCH_SALT,
                    wanted.lifecycle.prevent_destroy,
                    secrets=secrets,
                    ignore=rules,
                    destroy=wanted.lifecycle.destroy,
                    file_hash=desired_file_hash(wanted, BENCH_SALT),
                    variables=wanted.variables,
                )
        finally:
            store.close()
        entries = self._with_listed_hashes(workspace, entries)
        state = StateFile(
            lineage=BENCH_LINEAGE,
            serial=1,
            salt=BENCH_SALT,
            api_url=self.base_url,
            workspace=workspace.workspace_id,  # the key's workspace (whoami), or the run exits 3
            workflows=entries,
        )
        write_lockfile(lockfile, state)
        return workspace


def drain_rate_limit(workspace: Workspace, per_minute: int) -> None:
    """Spend the key's whole token bucket, as other jobs sharing the key would have done."""
    headers = {"Authorization": f"Bearer {workspace.api_key}"}
    with httpx.Client(base_url=workspace.base_url, headers=headers) as http:
        for _ in range(2 * per_minute):  # the bucket refills while we spend it
            if http.get(LISTING_PATH, params={"limit": 1}).status_code == 429:
                return
    raise RuntimeError(f"{2 * per_minute} requests and still no 429: is the rate limit on?")
