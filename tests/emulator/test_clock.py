"""The emulator's clock: the control endpoint lets the server's time pass at once, and every time
the server shows follows it (the `Date` header, `meta.timestamp`, workflow timestamps)."""

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from onepin_sync.emulator.control import EmulatorControl
from onepin_sync.emulator.embedded import EmbeddedEmulator
from onepin_sync.emulator.envelope import parse_timestamp
from tests.samples import tiny_workflow

HOUR = timedelta(hours=1)


def test_advancing_the_clock_moves_every_time_the_server_shows() -> None:
    with (
        EmbeddedEmulator(":memory:", control=True) as emulator,
        EmulatorControl(emulator.base_url) as control,
        httpx.Client(
            base_url=emulator.base_url,
            headers={"Authorization": f"Bearer {emulator.default_api_key}"},
        ) as api,
    ):
        before = control.advance_clock(0)
        moved = control.advance_clock(3600)
        created = api.post("/api/v1/workflows", json=tiny_workflow("Later"))

    assert abs(before - datetime.now(UTC)) < timedelta(seconds=5)
    assert moved - before >= HOUR
    body = created.json()
    served = parsedate_to_datetime(created.headers["date"])
    for shown in (served, parse_timestamp(body["meta"]["timestamp"])):
        assert shown - before >= HOUR - timedelta(seconds=1)  # the header has whole seconds
    made = datetime.fromisoformat(body["data"]["created_at"].replace("Z", "+00:00"))
    assert made - before >= HOUR


def test_the_clock_never_goes_back() -> None:
    with (
        EmbeddedEmulator(":memory:", control=True) as emulator,
        httpx.Client(base_url=emulator.base_url) as control,
    ):
        refused = control.post("/_emulator/clock", json={"advance_seconds": -1})
        now = control.get("/_emulator/clock")

    assert refused.status_code == 422
    assert "advance_seconds" in refused.text
    assert abs(parse_timestamp(now.json()["now"]) - datetime.now(UTC)) < timedelta(seconds=5)
