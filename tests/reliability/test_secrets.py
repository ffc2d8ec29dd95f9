"""No leaked secret: the API key and `${secret.X}` values never appear in output (also under
--debug, with tracebacks), the lockfile, the journal or a plan file; TLS is always verified;
redirects never carry the key elsewhere; a readable credentials file is warned about.

Every run goes through `Tracked.observe`, which fails the test as soon as a secret shows up in any
output or any file of the project.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import Tracked, assert_invariants, killed
from tests.samples import tiny_workflow
from tests.sync_project import CliResult

VOICE_TOKEN = "vt-7Qz93LxPmW"  # a provider credential interpolated into a node config
HOTLINE = "hl-5512-0199"  # a secret interpolated into a workflow's name
KEY = "support/hotline"


def _secret_workflow(sync: Tracked, monkeypatch: pytest.MonkeyPatch, *, in_name: bool) -> None:
    monkeypatch.setenv("VOICE_TOKEN", VOICE_TOKEN)
    monkeypatch.setenv("HOTLINE", HOTLINE)
    sync.secrets |= {VOICE_TOKEN, HOTLINE}
    document: dict[str, Any] = tiny_workflow("Support hotline")
    if in_name:
        document["name"] = "Support hotline ${secret.HOTLINE}"
    nodes = document["definition"]["graph"]["nodes"]
    nodes[0]["config"]["script_text"] = "Your access code is ${secret.VOICE_TOKEN}."
    sync.project.write(KEY, document)


@pytest.mark.parametrize("in_name", [False, True], ids=["in-definition", "in-name"])
def test_secret_values_appear_nowhere(
    sync: Tracked, monkeypatch: pytest.MonkeyPatch, in_name: bool
) -> None:
    _secret_workflow(sync, monkeypatch, in_name=in_name)
    saved = sync.project.root / "plan.json"

    assert sync.run("validate").code == 0
    assert sync.run("plan").code == 0
    as_json = sync.run("plan", "--json")
    assert as_json.code == 0
    assert "Your access code is (sensitive)." in as_json.stdout
    assert sync.run("plan", "--format", "markdown").code == 0
    assert sync.run("plan", "--out", str(saved)).code == 0
    applied = sync.run("apply", str(saved), debug=True)
    assert applied.code == 0, applied.output

    # An update that fails (then applied by the convergence check); and a create killed after
    # its response, so that the journal holding it is read by the next run.
    sync.project.write(KEY, {**sync.project.read(KEY), "description": "Edited in git."})
    sync.workspace.add_fault(kind="status", status=500, method="PATCH")
    assert sync.run("apply", "--auto-approve", debug=True).code == 6
    sync.project.write("support/hotline-copy", sync.project.read(KEY))
    crashed = sync.finish(sync.spawn(failpoint="write.after_response", debug=True))
    assert killed(crashed), crashed.output
    sync.later()
    assert "had completed" in sync.run("plan").stderr
    assert_invariants(sync)


def test_a_rotated_secret_is_masked_on_both_sides_of_the_diff(
    sync: Tracked, monkeypatch: pytest.MonkeyPatch
) -> None:
    _secret_workflow(sync, monkeypatch, in_name=False)
    assert sync.run("apply", "--auto-approve").code == 0
    monkeypatch.setenv("VOICE_TOKEN", VOICE_TOKEN + "-rotated")
    sync.secrets.add(VOICE_TOKEN + "-rotated")

    for args in [(), ("--json",), ("--format", "markdown")]:
        assert sync.run("plan", *args).code == 0


def test_the_api_key_stays_out_of_debug_output_and_tracebacks(sync: Tracked) -> None:
    sync.project.copy_examples()
    sync.workspace.add_fault(kind="status", status=401, method="GET", times=1)
    unauthorised = sync.run("apply", "--auto-approve", debug=True)
    sync.workspace.add_fault(kind="reset", method="GET", times=0)
    unreachable = sync.run("plan", "--timeout", "1", debug=True)

    assert unauthorised.code == 1, unauthorised.output
    assert "Traceback" in unauthorised.stderr
    assert "the API key is missing, invalid or revoked" in unauthorised.stderr
    assert unreachable.code == 1, unreachable.output
    assert "Traceback" in unreachable.stderr
    assert "GET /api/v1/workflows" in unreachable.stderr  # the --debug request lines
    assert_invariants(sync)


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o640, True), (0o600, False)])
def test_a_credentials_file_others_can_read_is_warned_about(
    sync: Tracked, mode: int, warned: bool
) -> None:
    credentials = Path.home() / ".onepin" / "credentials"
    credentials.parent.mkdir(parents=True, exist_ok=True)
    credentials.write_text(f'[default]\napi_key = "{sync.workspace.api_key}"\n', encoding="utf-8")
    credentials.chmod(mode)
    sync.project.copy_examples()
    project = sync.project

    planned = sync.run("plan", "--dir", str(project.workflows), "--lockfile",
                       str(project.lockfile), "--base-url", sync.workspace.base_url,
                       target=False)  # fmt: skip

    assert planned.code == 0, planned.output
    assert ("is readable by other users; run `chmod 600" in planned.stderr) is warned


# --- transport security ------------------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Records each request's path and Authorization header; answers with `reply`."""

    seen: list[tuple[str, str | None]]
    reply: tuple[int, dict[str, str]] = (404, {})

    def _answer(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        status, headers = self.reply
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _server(
    reply: tuple[int, dict[str, str]], context: ssl.SSLContext | None = None
) -> Iterator[tuple[int, list[tuple[str, str | None]]]]:
    seen: list[tuple[str, str | None]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen, "reply": reply})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if context is not None:  # each handshake in its handler's thread, as a real server does
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _plan_against(sync: Tracked, base_url: str) -> Any:
    project = sync.project
    return sync.run("plan", "--dir", str(project.workflows), "--lockfile", str(project.lockfile),
                    "--base-url", base_url, "--api-key", sync.workspace.api_key,
                    target=False)  # fmt: skip


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_host_is_not_followed(sync: Tracked, status: int) -> None:
    sync.project.copy_examples()
    with (
        _server((200, {})) as (other_port, reached),
        _server((status, {"Location": f"http://localhost:{other_port}/api/v1/workflows"})) as (
            port,
            asked,
        ),
    ):
        planned = _plan_against(sync, f"http://127.0.0.1:{port}")

    assert planned.code == 1, planned.output
    assert "unexpected redirect to localhost (not followed" in planned.stderr
    assert 1 <= len(asked) <= 3  # whoami, the node catalogue and the first listing page
    assert reached == []  # the key never went to the other host
    assert_invariants(sync)


def test_tls_is_always_verified(sync: Tracked, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sync.project.copy_examples()
    with _server((200, {}), context) as (port, seen):
        started = time.monotonic()
        planned = _plan_against(sync, f"https://127.0.0.1:{port}")
        elapsed = time.monotonic() - started

    assert planned.code == 1, planned.output
    assert elapsed < 2.0  # a rejected certificate is not retried: it would be rejected again
    assert "CERTIFICATE_VERIFY_FAILED" in planned.stderr
    assert seen == []  # no request (and no key) got past the handshake

    config = tmp_path / "insecure.yaml"
    config.write_text("verify_tls: false\n", encoding="utf-8")
    configured = sync.run("plan", "--config", str(config))
    assert configured.code == 3, configured.output
    assert "verify_tls" in configured.stderr
    flagged = sync.run("plan", "--insecure")
    assert flagged.code == 3, flagged.output
    assert_invariants(sync)


# --- secrets the files no longer name: masked at the places the lockfile records --------------

OLD_TOKEN = "vt-old-4Kq81ZpRa"  # what the workspace holds after the first apply
NEW_TOKEN = "vt-new-9Xw27LmTc"


def _applied_token_workflow(sync: Tracked, monkeypatch: pytest.MonkeyPatch) -> None:
    """`support/hotline` with `${secret.OLD}` in its name and its script, and one more workflow
    (so the delete guard lets a delete through), applied."""
    monkeypatch.setenv("OLD", OLD_TOKEN)
    sync.secrets.add(OLD_TOKEN)
    document = tiny_workflow("Hotline ${secret.OLD}", "Code ${secret.OLD}.")
    sync.project.write(KEY, {**document, "description": "The hotline."})
    sync.project.write("keeper", tiny_workflow("Keeper"))
    applied = sync.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output


def _every_view_then_apply(sync: Tracked) -> list[CliResult]:
    """plan in every format and into a file, then apply that file (each run checked for leaks
    as it happens, the plan file included)."""
    saved = sync.project.root / "plan.json"
    runs = [
        sync.run("plan"),
        sync.run("plan", "--json"),
        sync.run("plan", "--format", "markdown"),
        sync.run("plan", "--out", str(saved)),
        sync.run("apply", str(saved), debug=True),
    ]
    assert [r.code for r in runs] == [0] * 5, runs[-1].output
    return runs


def test_a_rotated_secret_is_masked_wherever_the_workspace_held_it(
    sync: Tracked, monkeypatch: pytest.MonkeyPatch
) -> None:
    _applied_token_workflow(sync, monkeypatch)
    monkeypatch.setenv("NEW", NEW_TOKEN)
    sync.secrets.add(NEW_TOKEN)
    document = {
        **tiny_workflow("Hotline ${secret.NEW}", "Code ${secret.NEW}."),
        "description": "The hotline.",
    }
    graph = document["definition"]["graph"]
    graph["nodes"][0]["id"] = graph["edges"][0]["source"] = "intro"  # the old node goes away
    sync.project.write(KEY, document)

    human, as_json, _, _, applied = _every_view_then_apply(sync)

    assert '- definition.graph.nodes[script]: {"id": "script"' in human.stdout, human.output
    assert '"script_text": "(sensitive)"' in human.stdout
    (update,) = json.loads(as_json.stdout)["changes"]
    assert update["before"]["name"] == "(sensitive)"
    assert "1 updated" in applied.stdout
    assert_invariants(sync)


def test_the_delete_of_a_removed_file_masks_its_secrets(
    sync: Tracked, monkeypatch: pytest.MonkeyPatch
) -> None:
    _applied_token_workflow(sync, monkeypatch)
    sync.project.remove(KEY)
    monkeypatch.delenv("OLD")  # gone with the file: no current value to mask

    human, as_json, markdown, _, applied = _every_view_then_apply(sync)

    assert f'- {KEY}  "(sensitive)"  id=' in human.stdout, human.output
    assert f'- {KEY}  "(sensitive)"  id=' in markdown.stdout
    (delete,) = json.loads(as_json.stdout)["changes"]
    assert delete["before"]["name"] == "(sensitive)"
    node = delete["before"]["definition"]["graph"]["nodes"][0]
    assert node["config"]["script_text"] == "(sensitive)"
    assert "1 deleted" in applied.stdout
    assert_invariants(sync)


def test_a_secret_replaced_by_a_literal_stays_masked_in_the_plan_that_reverts_it(
    sync: Tracked, monkeypatch: pytest.MonkeyPatch
) -> None:
    _applied_token_workflow(sync, monkeypatch)
    sync.project.write(KEY, {**tiny_workflow("Hotline", "Code withheld."), "description": "x"})
    monkeypatch.delenv("OLD")

    human, as_json, _, _, _ = _every_view_then_apply(sync)

    assert '~ name: "(sensitive)" -> "Hotline"' in human.stdout, human.output
    script = "definition.graph.nodes[script].config.script_text"
    assert f'~ {script}: "(sensitive)" -> "Code withheld."' in human.stdout
    (update,) = json.loads(as_json.stdout)["changes"]
    assert update["before"]["name"] == "(sensitive)"
    assert sync.project.lock_entries()[KEY]["secret_paths"] == []  # the workspace holds none now
    assert_invariants(sync)


def test_the_lockfile_records_where_secrets_went_never_what(
    sync: Tracked, monkeypatch: pytest.MonkeyPatch
) -> None:
    _applied_token_workflow(sync, monkeypatch)

    entries = sync.project.lock_entries()

    assert entries[KEY]["secret_paths"] == [
        ["definition", "graph", "nodes[script]", "config", "script_text"],
        ["name"],
    ]
    assert entries["keeper"]["secret_paths"] == []
    assert OLD_TOKEN not in sync.project.lockfile.read_text(encoding="utf-8")
    assert_invariants(sync)


def test_list_never_shows_a_secret_in_the_key_it_would_import_a_look_alike_as(
    sync: Tracked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key `import` would give is made from the name: when the name holds a secret (an
    unmanaged copy of a workflow whose name interpolates one), it is masked whole too."""
    _secret_workflow(sync, monkeypatch, in_name=True)
    assert sync.run("apply", "--auto-approve").code == 0
    with sync.outside() as http:
        body = {"name": f"Support hotline {HOTLINE}"}
        http.post("/api/v1/workflows", json=body).raise_for_status()

    listed = sync.run("list")
    as_json = sync.run("list", "--json")

    assert listed.code == 0, listed.output
    assert "(sensitive) (on import)" in listed.stdout
    [unmanaged] = [w for w in json.loads(as_json.stdout)["workflows"] if not w["managed"]]
    assert unmanaged["import_key"] == "(sensitive)"
