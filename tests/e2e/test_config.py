"""Where onepin-sync takes its target from: flags, environment, `~/.onepin/credentials`, the
project file `onepin-sync.yaml` with named environments, the lockfile's own target, and the
zero-setup `--emulator` mode."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from onepin._cli.auth.credentials import write_credentials

from onepin_sync.emulator.control import EmulatorControl
from tests.e2e.support import calls, first_calls, recorded
from tests.samples import tiny_workflow
from tests.sync_project import SyncProject

WRONG_KEY = "op_live_notAKeyTheEmulatorKnows000001"


def _files_only(project: SyncProject) -> tuple[str, ...]:
    """The file options, without any target option."""
    return ("--dir", str(project.workflows), "--lockfile", str(project.lockfile))


def _write_credentials(home: Path, text: str, mode: int = 0o600) -> Path:
    path = home / ".onepin" / "credentials"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


# --- credentials -------------------------------------------------------------------------------


def test_the_api_key_and_base_url_come_from_the_environment(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("alpha", tiny_workflow("Alpha"))
    monkeypatch.setenv("ONEPIN_API_KEY", project.workspace.api_key)
    monkeypatch.setenv("ONEPIN_BASE_URL", project.workspace.base_url)

    with recorded(project.workspace) as sent:
        applied = project.run("apply", *_files_only(project), "--auto-approve", target=False)

    assert applied.code == 0, applied.output
    assert first_calls(sent, 1)
    assert [r.method for r in sent[3:]] == ["POST", "GET"]


def test_the_credentials_file_of_the_onepin_cli_is_used(project: SyncProject) -> None:
    project.write("alpha", tiny_workflow("Alpha"))
    ws = project.workspace
    write_credentials(ws.api_key, ws.base_url)  # what `onepin login` (0.16.1) writes to ~/.onepin

    with recorded(ws) as sent:
        planned = project.run("plan", *_files_only(project), target=False)

    assert planned.code == 0, planned.output
    assert planned.stderr == ""
    assert calls(sent) == first_calls(sent, 1)


def test_a_credentials_file_others_can_read_is_used_with_a_warning(project: SyncProject) -> None:
    ws = project.workspace
    path = _write_credentials(
        Path.home(), f'[default]\napi_key = "{ws.api_key}"\nbase_url = "{ws.base_url}"\n', 0o644
    )

    planned = project.run("plan", *_files_only(project), target=False)

    assert planned.code == 0, planned.output
    assert planned.stderr == (
        f"Warning: {path} is readable by other users; run `chmod 600 {path}` to protect the API "
        "key\n"
    )


def test_the_api_key_flag_wins_over_the_environment_and_the_credentials_file(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = project.workspace
    _write_credentials(Path.home(), f'[default]\napi_key = "{WRONG_KEY}"\n')
    monkeypatch.setenv("ONEPIN_API_KEY", WRONG_KEY)
    base = ("--base-url", ws.base_url, *_files_only(project))

    wrong = project.run("plan", *base, target=False)
    flagged = project.run("plan", *base, "--api-key", ws.api_key, target=False)
    monkeypatch.setenv("ONEPIN_API_KEY", ws.api_key)
    from_env = project.run("plan", *base, target=False)  # the variable wins over the file

    assert wrong.code == 1, wrong.output
    assert "401 INVALID_API_KEY" in wrong.stderr
    assert (flagged.code, from_env.code) == (0, 0), flagged.output + from_env.output


def test_plain_http_to_a_non_loopback_host_is_refused_before_any_request(
    project: SyncProject,
) -> None:
    project.write("alpha", tiny_workflow("Alpha"))
    args = (*_files_only(project), "--api-key", project.workspace.api_key)

    refused = project.run("plan", *args, "--base-url", "http://onepin.example.com", target=False)

    assert refused.code == 3, refused.output
    assert refused.stderr == (
        "Error: base URL 'http://onepin.example.com' uses plain http to a non-loopback host; use "
        "https (the API key would travel unencrypted)\n"
    )
    assert project.workspace.api_key not in refused.output


def test_no_api_key_anywhere_is_an_input_error(project: SyncProject) -> None:
    missing = project.run("plan", *_files_only(project), target=False)

    assert missing.code == 3, missing.output
    assert missing.stderr.startswith("Error: no Onepin API key: pass --api-key, set ONEPIN_API_KEY")


# --- the project file and environments --------------------------------------------------------


def _project_file(root: Path, document: dict[str, object]) -> None:
    (root / "onepin-sync.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")


def test_the_project_file_sets_the_workflows_folder_and_the_lockfile(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    _project_file(project.root, {"workflows": "flows", "lockfile": "state/sync.lock"})
    (project.root / "flows").mkdir()
    (project.root / "flows" / "alpha.yaml").write_text(
        yaml.safe_dump(tiny_workflow("Alpha")), encoding="utf-8"
    )
    ws = project.workspace

    applied = project.run(
        "apply", "--api-key", ws.api_key, "--base-url", ws.base_url, "--auto-approve", target=False
    )

    assert applied.code == 0, applied.output
    assert (project.root / "state" / "sync.lock").exists()
    assert not project.lockfile.exists()
    assert '"alpha"' in (project.root / "state" / "sync.lock").read_text(encoding="utf-8")


def test_each_environment_has_its_own_key_variable_and_lockfile(
    project: SyncProject,
    emulator_control: EmulatorControl,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    staging = project.workspace
    production = emulator_control.new_workspace()
    monkeypatch.chdir(project.root)
    _project_file(
        project.root,
        {
            "workflows": "workflows",
            "environments": {
                "staging": {"base_url": staging.base_url, "api_key_env": "STAGING_ONEPIN_KEY",
                            "lockfile": "staging.lock"},
                "production": {"base_url": staging.base_url, "api_key_env": "PROD_ONEPIN_KEY",
                               "lockfile": "production.lock"},
            },
        },
    )  # fmt: skip
    project.write("alpha", tiny_workflow("Alpha"))
    monkeypatch.setenv("STAGING_ONEPIN_KEY", staging.api_key)
    monkeypatch.setenv("PROD_ONEPIN_KEY", production.api_key)
    monkeypatch.setenv("ONEPIN_API_KEY", WRONG_KEY)  # the environment's own variable wins

    to_staging = project.run("apply", "--env", "staging", "--auto-approve", target=False)
    to_production = project.run("apply", "--env", "production", "--auto-approve", target=False)
    unknown = project.run("plan", "--env", "qa", target=False)

    assert (to_staging.code, to_production.code) == (0, 0), to_staging.output + to_production.output
    assert [r.method for r in staging.requests()] == ["GET", "GET", "GET", "POST", "GET"]
    assert [r.method for r in emulator_control.requests(workspace_id=production.workspace_id)] == [
        "GET",
        "GET",
        "GET",
        "POST",
        "GET",
    ]
    staging_lock = (project.root / "staging.lock").read_text(encoding="utf-8")
    production_lock = (project.root / "production.lock").read_text(encoding="utf-8")
    assert staging_lock != production_lock  # different ids, lineages
    assert not project.lockfile.exists()
    assert unknown.code == 3
    assert unknown.stderr.startswith(
        "Error: unknown environment 'qa' (" + str(project.root / "onepin-sync.yaml")
    )
    assert "production, staging" in unknown.stderr


def test_an_environment_whose_key_variable_is_unset_never_uses_the_default_key(
    project: SyncProject,
    emulator_control: EmulatorControl,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = emulator_control.new_workspace()  # think: production, reached by the default key
    monkeypatch.chdir(project.root)
    _project_file(
        project.root,
        {"environments": {"staging": {"base_url": project.workspace.base_url,
                                      "api_key_env": "STAGING_ONEPIN_KEY",
                                      "lockfile": "staging.lock"}}},
    )  # fmt: skip
    project.write("alpha", tiny_workflow("Alpha"))
    monkeypatch.delenv("STAGING_ONEPIN_KEY", raising=False)
    monkeypatch.setenv("ONEPIN_API_KEY", other.api_key)

    applied = project.run("apply", "--env", "staging", "--auto-approve", target=False)

    assert emulator_control.requests(workspace_id=other.workspace_id) == []
    assert applied.code == 3, applied.output
    assert "STAGING_ONEPIN_KEY" in applied.stderr


def test_workflows_dot_reads_the_projects_folder_but_its_project_file_and_lockfile(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flat project: workflow files beside `onepin-sync.yaml`, a lockfile named `.yaml` too."""
    monkeypatch.chdir(project.root)
    _project_file(project.root, {"workflows": ".", "lockfile": "state.yaml"})
    (project.root / "alpha.yaml").write_text(yaml.safe_dump(tiny_workflow("Alpha")), "utf-8")
    ws = project.workspace
    target = ("--api-key", ws.api_key, "--base-url", ws.base_url)

    validated = project.run("validate", target=False)
    applied = project.run("apply", *target, "--auto-approve", target=False)
    formatted = project.run("fmt", "--check", target=False)
    planned = project.run("plan", *target, "--detailed-exitcode", target=False)

    assert validated.code == 0, validated.output
    assert "1 workflow file valid" in validated.stdout
    assert applied.code == 0, applied.output
    assert sorted(json.loads((project.root / "state.yaml").read_text("utf-8"))["workflows"]) == [
        "alpha"
    ]
    assert formatted.code == 3, formatted.output  # yaml.safe_dump's layout, not the canonical
    assert formatted.stdout == f"{project.root / 'alpha.yaml'}\n"  # the one workflow file
    assert "1 of 1 workflow file(s) would be reformatted" in formatted.stderr
    assert planned.code == 0, planned.output


@pytest.mark.parametrize(
    ("document", "env", "line", "message"),
    [
        ({"lockfile": ""}, None, "1:11", "lockfile: must not be empty"),
        (
            {"environments": {"s": {"lockfile": ""}}},
            "s",
            "3:15",
            "environments.s.lockfile: must not be empty",
        ),
        (
            {"environments": {"s": {"base_url": "ftp://x"}}},
            "s",
            "3:15",
            "environments.s.base_url: the base URL is not an http(s) URL; it must start with "
            "https:// (like https://api.onepin.ai)",
        ),
    ],
    ids=["an empty lockfile", "an environment's empty lockfile", "an environment's base URL"],
)
def test_a_project_file_setting_that_says_nothing_usable_is_refused_at_its_line(
    project: SyncProject,
    monkeypatch: pytest.MonkeyPatch,
    document: dict[str, object],
    env: str | None,
    line: str,
    message: str,
) -> None:
    monkeypatch.chdir(project.root)
    _project_file(project.root, document)
    project.write("alpha", tiny_workflow("Alpha"))
    monkeypatch.setenv("ONEPIN_API_KEY", project.workspace.api_key)
    monkeypatch.setenv("ONEPIN_BASE_URL", project.workspace.base_url)

    with recorded(project.workspace) as sent:
        result = project.run("plan", *(("--env", env) if env else ()), target=False)

    assert result.code == 3, result.output
    assert result.stderr == (
        f"Error: {project.root / 'onepin-sync.yaml'}:{line}: {message}\n"
        "Error: 1 problem in the project file\n"
    )
    assert sent == []
    assert sorted(p.name for p in project.root.iterdir()) == ["onepin-sync.yaml", "workflows"]


def test_a_project_file_with_an_unknown_setting_is_an_input_error(
    project: SyncProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    _project_file(project.root, {"workflow": "typo"})

    result = project.run("plan")

    assert result.code == 3, result.output
    assert result.stderr == (
        f"Error: {project.root / 'onepin-sync.yaml'}:1:1: unknown field 'workflow'; "
        "did you mean 'workflows'?\nError: 1 problem in the project file\n"
    )


# --- the lockfile's target ---------------------------------------------------------------------


def test_a_lockfile_made_for_another_target_is_refused_before_any_request(
    project: SyncProject,
) -> None:
    project.write("alpha", tiny_workflow("Alpha"))
    assert project.run("apply", "--auto-approve").code == 0
    other_url = project.workspace.base_url.replace("127.0.0.1", "localhost")

    with recorded(project.workspace) as sent:
        refused = project.run("plan", "--base-url", other_url)

    assert refused.code == 3, refused.output
    assert refused.stderr == (
        f"Error: {project.lockfile} belongs to {project.workspace.base_url} workspace "
        f"{project.workspace.workspace_id}, not {other_url}; use another --lockfile or an "
        "environment in onepin-sync.yaml for each target\n"
    )
    assert sent == []


def test_a_lockfile_made_for_another_workspace_is_refused(project: SyncProject) -> None:
    project.write("alpha", tiny_workflow("Alpha"))
    ws = project.workspace
    assert project.run("apply", "--workspace", ws.workspace_id, "--auto-approve").code == 0
    other = "00000000-0000-4000-8000-00000000beef"

    with recorded(ws) as sent:
        refused = project.run("plan", "--workspace", other)

    assert refused.code == 3, refused.output
    assert f"belongs to {ws.base_url} workspace {ws.workspace_id}, not {ws.base_url}" in (
        refused.stderr
    )
    assert sent == []


# --- --emulator --------------------------------------------------------------------------------


def test_emulator_mode_needs_no_setup_and_keeps_its_data_next_to_the_lockfile(
    project: SyncProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = tmp_path / "quickstart"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    quick = SyncProject(cwd, project.workspace)
    quick.copy_examples()
    args = ("--emulator", "--dir", "workflows")

    applied = quick.run("apply", *args, "--auto-approve", target=False)
    planned = quick.run("plan", *args, "--detailed-exitcode", target=False)

    assert applied.code == 0, applied.output
    assert "Apply complete: 4 created, 0 updated, 0 deleted." in applied.stdout
    assert (cwd / ".onepin-sync" / "emulator.db").is_file()
    assert sorted(quick.lock_entries()) == sorted(
        str(p.relative_to(cwd / "workflows").with_suffix("")) for p in cwd.rglob("*.yaml")
    )
    assert '"api_url": "emulator:embedded"' in quick.lockfile.read_text(encoding="utf-8")
    assert planned.code == 0, planned.output  # the second run saw the first run's workflows
    assert "No changes." in planned.stdout
    assert project.workspace.requests() == []  # nothing went to the test's emulator


def test_the_readme_quickstart_runs_from_a_copy_of_the_repository(
    project: SyncProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = Path(__file__).resolve().parents[2]
    clone = tmp_path / "clone"
    shutil.copytree(repo / "examples", clone / "examples")
    shutil.copy(repo / "onepin-sync.yaml", clone / "onepin-sync.yaml")
    monkeypatch.chdir(clone)
    quick = SyncProject(clone, project.workspace)

    first = quick.run("plan", "--emulator", target=False)
    applied = quick.run("apply", "--emulator", "--auto-approve", target=False)
    second = quick.run("plan", "--emulator", target=False)

    assert first.code == 0, first.output
    assert "Plan: 4 to create, 0 to update, 0 to delete." in first.stdout
    assert applied.code == 0, applied.output
    assert "Apply complete: 4 created, 0 updated, 0 deleted." in applied.stdout
    assert second.code == 0, second.output
    assert second.stdout.startswith("No changes.")
    assert (clone / "onepin-sync.lock").is_file()
    assert (clone / ".onepin-sync" / "emulator.db").is_file()
