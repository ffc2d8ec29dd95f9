"""A project in a bare git repository, and CI jobs that each start from a fresh clone of it.

    pipeline = Pipeline(tmp_path, workspace)
    pipeline.seed()                                  # recipes + onepin-sync.yaml + workflows
    job = pipeline.job("onepin-apply.yml", "apply")  # a JobRunner on a new "machine"
    result = job.run()
    pipeline.lock_entries()                          # the lockfile on main, as pushed

Each job gets its own machine folder (workspace, runner temp, artifacts) and the environment of a
runner: PATH with this venv's `onepin-sync` and a fake `gh` (fake_gh.py), an empty HOME (no git
identity, no Onepin credentials), and nothing of the test process's environment beyond PATH.
The workflow a job runs is read from the triggering commit, as GitHub does, and `uses:` steps
are stood in for: checkout is a `git clone` of the bare repository at `with.ref` (else the
triggering sha), setup-python is this venv, upload-artifact copies the files into the machine's
`artifacts/`. The step `install` (pip install onepin-sync) is replaced by the venv as well.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from onepin_sync.emulator.control import EmulatorWorkspace
from tests.ci.fake_gh import install_fake_gh
from tests.ci.runner import JobContext, JobRunner, Machine, Workflow

REPO_ROOT = Path(__file__).resolve().parents[2]
RECIPES = REPO_ROOT / "examples" / "ci" / "github"
EXAMPLES = REPO_ROOT / "examples" / "workflows"
VENV_BIN = Path(sys.executable).parent
REPOSITORY = "acme/voice-flows"
PROJECT_FILE = "workflows: workflows\nlockfile: onepin-sync.lock\n"
GITIGNORE = ".onepin-sync/\n"


class Pipeline:
    def __init__(self, root: Path, workspace: EmulatorWorkspace) -> None:
        self.root = root
        self.workspace = workspace
        self.origin = root / "origin.git"
        self.dev = root / "dev"  # the maintainers' clone: their commits and pushes
        self.home = root / "home"
        self.bin = root / "bin"
        self.gh_state = root / "gh-state.json"
        self._jobs = 0
        self.home.mkdir(parents=True)
        install_fake_gh(self.bin)
        self.git("init", "--quiet", "--bare", "--initial-branch=main", str(self.origin))
        self.git("clone", "--quiet", str(self.origin), str(self.dev))

    # --- git ----------------------------------------------------------------------------------

    @property
    def environ(self) -> dict[str, str]:
        """A runner's environment: PATH (fake gh first, then this venv), empty HOME."""
        return {
            "PATH": os.pathsep.join([str(self.bin), str(VENV_BIN), os.environ["PATH"]]),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "GIT_CONFIG_NOSYSTEM": "1",
            "FAKE_GH_STATE": str(self.gh_state),
        }

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd or self.root,
            env={
                **self.environ,
                "GIT_AUTHOR_NAME": "Dev",
                "GIT_AUTHOR_EMAIL": "dev@example.com",
                "GIT_COMMITTER_NAME": "Dev",
                "GIT_COMMITTER_EMAIL": "dev@example.com",
            },
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
        return done.stdout.strip()

    def push(
        self,
        files: Mapping[str, str | None],
        message: str,
        *,
        branch: str = "main",
    ) -> str:
        """Commit `files` (path -> text, None removes) on `branch` (a new one starts from the
        latest main) in the dev clone and push it; returns the new commit."""
        self.git("fetch", "--quiet", "origin", cwd=self.dev)
        remote = self.git("branch", "--list", "--remotes", cwd=self.dev).split()
        start = next((f"origin/{b}" for b in (branch, "main") if f"origin/{b}" in remote), None)
        self.git("checkout", "--quiet", "-B", branch, *([start] if start else []), cwd=self.dev)
        for name, text in files.items():
            path = self.dev / name
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        self.git("add", "--all", cwd=self.dev)
        self.git("commit", "--quiet", "-m", message, cwd=self.dev)
        self.git("push", "--quiet", "origin", f"HEAD:{branch}", cwd=self.dev)
        return self.git("rev-parse", "HEAD", cwd=self.dev)

    def seed(self, workflows: Mapping[str, str] | None = None) -> str:
        """The first commit: every recipe, the project file and the workflow files."""
        files: dict[str, str | None] = {".gitignore": GITIGNORE, "onepin-sync.yaml": PROJECT_FILE}
        for recipe in sorted(RECIPES.glob("*.yml")):
            files[f".github/workflows/{recipe.name}"] = recipe.read_text(encoding="utf-8")
        if workflows is None:
            workflows = {
                f"workflows/{p.relative_to(EXAMPLES)}": p.read_text(encoding="utf-8")
                for p in sorted(EXAMPLES.rglob("*.yaml"))
            }
        files.update(workflows)
        return self.push(files, "Onepin workflows and CI")

    def seed_and_apply(self) -> None:
        """`seed()`, then one apply job that must succeed: the workspace holds the examples."""
        self.seed()
        result = self.job("onepin-apply.yml", "apply").run()
        assert result.status == "success", [s.output for s in result.steps]

    def sha(self, ref: str = "main") -> str:
        return self.git("--git-dir", str(self.origin), "rev-parse", ref)

    def show(self, path: str, ref: str = "main") -> str | None:
        done = subprocess.run(
            ["git", "--git-dir", str(self.origin), "show", f"{ref}:{path}"],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout if done.returncode == 0 else None

    def lockfile(self, ref: str = "main", path: str = "onepin-sync.lock") -> dict[str, Any] | None:
        text = self.show(path, ref)
        return None if text is None else json.loads(text)

    def lock_entries(self, ref: str = "main", path: str = "onepin-sync.lock") -> dict[str, Any]:
        lockfile = self.lockfile(ref, path)
        return {} if lockfile is None else dict(lockfile["workflows"])

    def subjects(self, ref: str = "main") -> list[str]:
        """Commit subjects on `ref`, newest first."""
        return self.git("--git-dir", str(self.origin), "log", "--format=%s", ref).splitlines()

    # --- jobs -----------------------------------------------------------------------------------

    def job(
        self,
        recipe: str,
        job_id: str,
        *,
        event: str = "push",
        sha: str | None = None,
        secrets: Mapping[str, str] | None = None,
        variables: Mapping[str, str] | None = None,
        github: Mapping[str, Any] | None = None,
        matrix: Mapping[str, Any] | None = None,
        needs: Mapping[str, Any] | None = None,
        checkout_sha_only: bool = False,
        after_checkout: Callable[[Path], None] | None = None,
        machine_environ: Mapping[str, str] | None = None,
    ) -> JobRunner:
        """A job of `recipe` (as committed at `sha`, default: main now) on a new machine.

        `checkout_sha_only` checks out the triggering sha whatever `with.ref` says: what a
        recipe without `ref: main` would do (the checkout action's default). `after_checkout`
        runs in place of setup-python, e.g. to land a commit on main while the job runs.
        `machine_environ` adds to the runner's environment (e.g. ONEPIN_SYNC_TIMEOUT).
        """
        sha = sha or self.sha()
        machine_root = self.machine_folder(job_id)
        text = self.show(f".github/workflows/{recipe}", sha)
        assert text is not None, f"{recipe} is not in {sha}"
        (machine_root / recipe).write_text(text, encoding="utf-8")
        workflow = Workflow.load(machine_root / recipe)
        context = JobContext(
            github={
                "event_name": event,
                "sha": sha,
                "ref": "refs/heads/main",
                "repository": REPOSITORY,
                "server_url": "https://github.example",
                "run_id": str(1000 + self._jobs),
                "run_attempt": "1",
                "token": "ghs_fakeGithubToken",
                "event": {},
                **(github or {}),
            },
            secrets={"ONEPIN_API_KEY": self.workspace.api_key} if secrets is None else secrets,
            vars={"ONEPIN_BASE_URL": self.workspace.base_url} if variables is None else variables,
            matrix=matrix,
            needs=needs or {},
        )

        def checkout(step: Mapping[str, Any], values: Mapping[str, str], workspace: Path) -> None:
            ref = sha if checkout_sha_only else values.get("ref") or sha
            self.git("clone", "--quiet", str(self.origin), str(workspace))
            self.git("checkout", "--quiet", ref, cwd=workspace)

        def upload(step: Mapping[str, Any], values: Mapping[str, str], workspace: Path) -> None:
            target = machine_root / "artifacts"
            target.mkdir(exist_ok=True)
            for pattern in values["path"].split():
                for found in glob.glob(pattern, root_dir=workspace, include_hidden=True):
                    shutil.copy(workspace / found, target / Path(found).name)

        def nothing(step: Mapping[str, Any], values: Mapping[str, str], workspace: Path) -> None:
            pass

        def setup_python(
            step: Mapping[str, Any], values: Mapping[str, str], workspace: Path
        ) -> None:
            if after_checkout is not None:
                after_checkout(workspace)

        machine = Machine(
            environ={**self.environ, **(machine_environ or {})},
            root=machine_root,
            uses={
                "actions/checkout": checkout,
                "actions/setup-python": setup_python,
                "actions/upload-artifact": upload,
            },
            replace={"install": nothing},  # the venv on PATH is onepin-sync, installed
        )
        return JobRunner(workflow, job_id, context=context, machine=machine)

    def pull_request(
        self,
        number: int,
        files: Mapping[str, str | None],
        recipe: str = "onepin-plan.yml",
        job_id: str = "plan",
        **options: Any,
    ) -> JobRunner:
        """Pull request `number` changing `files` (on the branch `pr-NUMBER`, from main), and the
        job of `recipe` it starts; `options` as for `job`."""
        sha = self.push(files, f"PR {number}", branch=f"pr-{number}")
        event = {"pull_request": {"number": number, "head": {"sha": sha}}}
        return self.job(recipe, job_id, event="pull_request", sha=sha, github={"event": event},
                        **options)  # fmt: skip

    def machine_folder(self, job_id: str) -> Path:
        """A new, empty folder for the next job's machine: `jobs/NN-JOB_ID`."""
        self._jobs += 1
        folder = self.root / "jobs" / f"{self._jobs:02d}-{job_id}"
        folder.mkdir(parents=True)
        return folder

    def run_cli(self, checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """`onepin-sync ARGS` in a checkout, as a person would with the workspace's key."""
        return subprocess.run(
            [str(VENV_BIN / "onepin-sync"), "--no-color", *args],
            cwd=checkout,
            env={
                **self.environ,
                "ONEPIN_API_KEY": self.workspace.api_key,
                "ONEPIN_BASE_URL": self.workspace.base_url,
            },
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    def clone(self, name: str, ref: str = "main") -> Path:
        """A person's fresh clone of the repository."""
        path = self.root / "people" / name
        self.git("clone", "--quiet", str(self.origin), str(path))
        self.git("checkout", "--quiet", ref, cwd=path)
        return path

    def github_state(self) -> dict[str, Any]:
        """What the fake gh recorded: calls, comments, issues and pull requests."""
        if not self.gh_state.exists():
            return {"calls": [], "comments": [], "issues": []}
        state: dict[str, Any] = json.loads(self.gh_state.read_text(encoding="utf-8"))
        return state
