"""Nothing that looks like a credential is printed back: an API key pasted into the wrong option
is refused (exit 3) without being echoed, by our messages, click's usage errors or a --debug
traceback; and what the server says about a workflow is masked like the rest of the output."""

from __future__ import annotations

import pytest

from tests.e2e.support import recorded
from tests.sync_project import CliResult, SyncProject, run_cli

KEY = "op_live_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6"  # the shape of a real key (API notes, section 8)
KEY_BODY = KEY.removeprefix("op_live_")


def _assert_not_echoed(result: CliResult) -> None:
    assert result.code == 3, result.output
    assert KEY_BODY not in result.output
    assert result.stderr.startswith(("Error: ", "Usage: ", "Traceback ")), result.stderr


@pytest.mark.parametrize(
    "option", ["--base-url", "--config", "--dir", "--env"], ids=lambda o: o.lstrip("-")
)
@pytest.mark.parametrize("command", ["plan", "validate"])
def test_a_key_pasted_into_an_option_is_refused_without_being_echoed(
    project: SyncProject, option: str, command: str
) -> None:
    project.write("alpha", {"name": "Alpha", "definition": {}})
    online = ["--online"] if command == "validate" else []

    result = project.run(command, *online, option, KEY)

    _assert_not_echoed(result)


def test_a_key_pasted_as_the_lockfile_is_not_echoed(project: SyncProject) -> None:
    result = project.run("force-unlock", "some-lock-id", "--lockfile", KEY, target=False)

    _assert_not_echoed(result)
    assert "no run holds the state lock" in result.stderr
    assert "(sensitive)" in result.stderr  # the path is still named, with the key masked


@pytest.mark.parametrize(
    "args",
    [
        [KEY],
        ["--parallelism", KEY],
        [f"--{KEY}"],
        ["--api-key", "--base-url", KEY],  # --api-key swallowed --base-url: KEY is an argument
    ],
    ids=["extra-argument", "bad-value", "unknown-option", "shifted"],
)
def test_click_usage_errors_never_echo_a_key(project: SyncProject, args: list[str]) -> None:
    result = project.run("plan", *args)

    _assert_not_echoed(result)
    assert "Try 'onepin-sync plan --help' for help." in result.stderr


def test_the_debug_traceback_masks_a_key_too(project: SyncProject) -> None:
    ws = project.workspace
    args = ["--dir", KEY, "--base-url", ws.base_url, "--api-key", ws.api_key]
    result = project.run("--debug", "plan", *args, target=False)

    assert "Traceback (most recent call last)" in result.stderr
    assert "InputError: workflows folder (sensitive) does not exist" in result.stderr
    _assert_not_echoed(result)


def test_a_key_with_its_line_end_works_and_one_with_a_space_inside_is_refused(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secret stored with `gh secret set < file` keeps the file's line end: the same key. A
    space or control character inside is a broken copy: refused by name, never echoed."""
    project.copy_examples()
    key = project.workspace.api_key
    monkeypatch.setenv("ONEPIN_API_KEY", key + "\n")
    args = ["--dir", str(project.workflows), "--lockfile", str(project.lockfile),
            "--base-url", project.workspace.base_url]  # fmt: skip

    trailing = run_cli(["plan", *args])
    monkeypatch.setenv("ONEPIN_API_KEY", key[:10] + " " + key[10:])
    with recorded(project.workspace) as sent:
        spaced = run_cli(["plan", *args])
        controlled = project.run("plan", "--api-key", key[:10] + "\x07" + key[10:])

    assert trailing.code == 0, trailing.output
    for result, source in ((spaced, "$ONEPIN_API_KEY"), (controlled, "--api-key")):
        assert result.code == 3, result.output
        assert f"the API key from {source} holds a space, a control or a non-ASCII" in (
            result.stderr
        )
        assert key[10:] not in result.output
    assert sent == []


@pytest.mark.parametrize(
    "url",
    [
        "http://deploy:hunter2@onepin.example.com/api",
        "https://deploy:hunter2@onepin.example.com/api",
        "http://deploy:hunter2@127.0.0.1:9/api",  # httpx would send it as Basic auth instead
    ],
)
def test_a_base_url_with_a_password_is_refused_without_showing_it(
    project: SyncProject, url: str
) -> None:
    result = project.run("plan", "--base-url", url)

    assert result.code == 3, result.output
    assert "hunter2" not in result.output
    assert result.stderr == (
        "Error: the base URL holds a user name or password; give the API key with --api-key or "
        "ONEPIN_API_KEY, and the URL without credentials\n"
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:9/?token=x", "the base URL has a query or fragment"),
        ("http://127.0.0.1:9?", "the base URL has a query or fragment"),
        ("http://127.0.0.1:9/#", "the base URL has a query or fragment"),
        ("http://127.0.0.1:9;token=x", "the base URL's port is not a number"),
    ],
)
def test_a_base_url_with_a_query_or_a_bad_port_is_refused(
    project: SyncProject, url: str, problem: str
) -> None:
    result = project.run("plan", "--base-url", url)

    assert result.code == 3, result.output
    assert "token=x" not in result.output
    assert problem in result.stderr


# --- what the server says -------------------------------------------------------------------


def test_a_secret_in_a_node_id_is_refused_before_anything_is_sent(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids name nodes in every plan, in server messages (the emulator's cycle warning quotes
    them; the views mask what they quote, see tests/views) and in the lockfile's rules, which
    must match them as they are: a `${secret.X}` cannot go there."""
    secret = "vt-7Qz93LxPmW"
    monkeypatch.setenv("VOICE_TAG", secret)
    project.copy_examples()
    path = project.path("support/welcome-call")
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("id: voice\n", "id: voice-${secret.VOICE_TAG}\n")
        .replace(" voice, targetPort", " 'voice-${secret.VOICE_TAG}', targetPort")
        .replace("source: voice,", "source: 'voice-${secret.VOICE_TAG}',")
        .replace("translate, voice,", "translate, 'voice-${secret.VOICE_TAG}',"),
        encoding="utf-8",
    )

    with recorded(project.workspace) as sent:
        checked = project.run("--debug", "validate", "--online", *project.target_args(),
                              target=False)  # fmt: skip
        planned = project.run("plan")

    for result in (checked, planned):
        assert result.code == 3, result.output
        assert secret not in result.output
        assert "nodes[3].id: an id must not hold a ${secret.…} value" in result.stderr
    assert sent == []
