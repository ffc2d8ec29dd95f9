"""The embedded server's lifecycle, SQLite persistence, and concurrent requests."""

import asyncio
import sqlite3
import threading
from pathlib import Path

import httpx
import pytest

from onepin_sync.emulator.database import DEFAULT_DB_PATH
from onepin_sync.emulator.embedded import EmbeddedEmulator, start_embedded
from onepin_sync.emulator.errors import EmulatorError
from onepin_sync.emulator.options import EmulatorOptions


def client_for(emulator: EmbeddedEmulator, key: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key or emulator.default_api_key}"}
    return httpx.Client(base_url=emulator.base_url, headers=headers)


def emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "onepin-sync-emulator"]


def test_start_and_stop_leave_no_thread_behind() -> None:
    before = len(emulator_threads())
    emulator = EmbeddedEmulator()

    emulator.start()
    assert emulator.running
    assert emulator.base_url.startswith("http://127.0.0.1:")
    assert len(emulator_threads()) == before + 1
    emulator.stop()
    emulator.stop()  # idempotent

    assert not emulator.running
    assert len(emulator_threads()) == before
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.base_url


def test_starting_twice_is_refused_and_a_stopped_emulator_can_restart() -> None:
    with EmbeddedEmulator() as emulator:
        with pytest.raises(RuntimeError, match="already running"):
            emulator.start()
        first_url = emulator.base_url
    emulator.start()
    try:
        with client_for(emulator) as client:
            assert client.get("/api/v1/workflows").status_code == 200
        assert isinstance(first_url, str)
    finally:
        emulator.stop()


def test_memory_databases_are_private_to_each_emulator() -> None:
    with EmbeddedEmulator() as one, EmbeddedEmulator() as two:
        with client_for(one) as client:
            client.post("/api/v1/workflows", json={"name": "only in one"})
        with client_for(two) as client:
            assert client.get("/api/v1/workflows").json()["pagination"]["total"] == 0


def test_data_survives_a_restart_on_a_file_database(tmp_path: Path) -> None:
    db_path = tmp_path / "nested" / "dir" / "emulator.db"
    with EmbeddedEmulator(db_path) as emulator, client_for(emulator) as client:
        created = client.post("/api/v1/workflows", json={"name": "durable"}).json()["data"]
        deleted = client.post("/api/v1/workflows", json={"name": "gone"}).json()["data"]
        client.delete(f"/api/v1/workflows/{deleted['id']}")

    emulator = start_embedded(db_path)
    try:
        with client_for(emulator) as client:
            fetched = client.get(f"/api/v1/workflows/{created['id']}").json()["data"]
            assert client.get(f"/api/v1/workflows/{deleted['id']}").status_code == 404
            patched = client.patch(f"/api/v1/workflows/{created['id']}", json={"name": "again"})
    finally:
        emulator.stop()

    assert fetched == created
    assert patched.json()["data"]["updated_at"] > created["updated_at"]


def test_two_emulators_on_one_file_share_data_and_the_write_clock(tmp_path: Path) -> None:
    db_path = tmp_path / "shared.db"
    with (
        EmbeddedEmulator(db_path) as one,
        EmbeddedEmulator(db_path) as two,
        client_for(one) as first,
        client_for(two) as second,
    ):
        stamps = []
        for index in range(10):
            client = first if index % 2 else second
            response = client.post("/api/v1/workflows", json={"name": f"w{index}"})
            stamps.append(response.json()["data"]["updated_at"])
        seen_by_one = first.get("/api/v1/workflows").json()["pagination"]["total"]

    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 10
    assert seen_by_one == 10


def test_default_database_path_is_under_the_state_folder() -> None:
    assert Path(".onepin-sync") / "emulator.db" == DEFAULT_DB_PATH


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db_path = tmp_path / "future.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()

    with pytest.raises(EmulatorError, match="schema version 99"):
        EmbeddedEmulator(db_path).start()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello, I am not SQLite " * 100)

    with pytest.raises(EmulatorError, match="cannot use"):
        EmbeddedEmulator(not_a_db).start()


def test_an_impossible_path_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")

    with pytest.raises(EmulatorError, match="cannot create"):
        EmbeddedEmulator(blocker / "sub" / "emulator.db").start()


def test_bad_key_specs_are_refused_at_construction() -> None:
    for spec in ("sk_live_x", "op_live_abc:not-a-uuid", "op_live_abc::workflows:admin"):
        with pytest.raises(EmulatorError, match="--api-key"):
            EmbeddedEmulator(api_keys=[spec])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("api_keys", ("sk_live_x",), "--api-key"),
        ("latency_ms", -1.0, "latency must not be negative"),
        ("rate_limit_per_min", 0, "at least 1 request per minute"),
        ("rate_limit_spent", True, "need a rate limit per minute"),
        ("rate_limit_headers", True, "need a rate limit per minute"),
    ],
)
def test_bad_options_are_refused_when_made(field: str, value: object, message: str) -> None:
    with pytest.raises(EmulatorError, match=message):
        EmulatorOptions(**{field: value})


def test_one_options_value_builds_the_embedded_server() -> None:
    options = EmulatorOptions(control=True, api_keys=("op_live_fromOptions",))

    with EmbeddedEmulator.from_options(options) as emulator:
        with client_for(emulator, "op_live_fromOptions") as client:
            whoami = client.get("/api/v1/auth/whoami")
        control = httpx.get(f"{emulator.base_url}/_emulator/faults")

    assert emulator.options == options
    assert EmbeddedEmulator(control=True, api_keys=["op_live_fromOptions"]).options == options
    assert whoami.status_code == 200
    assert control.status_code == 200


def test_seeded_keys_carry_their_workspace_and_scopes() -> None:
    workspace_id = "11111111-2222-4333-8444-555555555555"
    keys = [f"op_live_readOnly:{workspace_id}:workflows:read", "op_live_defaultWs"]
    with EmbeddedEmulator(api_keys=keys) as emulator:
        with client_for(emulator, "op_live_readOnly") as reader:
            whoami = reader.get("/api/v1/auth/whoami").json()["data"]
            refused = reader.post("/api/v1/workflows", json={})
        with client_for(emulator, "op_live_defaultWs") as other:
            default_ws = other.get("/api/v1/auth/whoami").json()["data"]

    assert whoami["workspace_id"] == workspace_id
    assert whoami["scopes"] == ["workflows:read"]
    assert refused.status_code == 403
    assert default_ws["workspace_id"] == EmbeddedEmulator.default_workspace_id
    assert len(default_ws["scopes"]) == 11


def test_sixteen_requests_in_flight_are_served_consistently() -> None:
    async def hammer(base_url: str, key: str) -> tuple[list[int], list[str], int]:
        headers = {"Authorization": f"Bearer {key}"}
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits) as client:
            gate = asyncio.Semaphore(16)

            async def create(index: int) -> httpx.Response:
                async with gate:
                    return await client.post("/api/v1/workflows", json={"name": f"c{index}"})

            responses = await asyncio.gather(*(create(i) for i in range(160)))
            ids = [r.json()["data"]["id"] for r in responses]

            async def touch(workflow_id: str) -> httpx.Response:
                async with gate:
                    return await client.patch(
                        f"/api/v1/workflows/{workflow_id}", json={"description": "x"}
                    )

            patches = await asyncio.gather(*(touch(ids[0]) for _ in range(32)))
            stamps = [r.json()["data"]["updated_at"] for r in patches]
            listed = await client.get("/api/v1/workflows", params={"limit": 1})
            total: int = listed.json()["pagination"]["total"]
        return [r.status_code for r in responses + patches], stamps, total

    with EmbeddedEmulator() as emulator:
        statuses, stamps, total = asyncio.run(hammer(emulator.base_url, emulator.default_api_key))

    assert set(statuses[:160]) == {201}
    assert set(statuses[160:]) == {200}
    assert total == 160
    assert len(set(stamps)) == 32  # every write got its own updated_at
