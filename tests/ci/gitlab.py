"""A job of the shipped .gitlab-ci.yml, run as GitLab Runner's bash shell runs it, in a fresh clone.

    job = GitLabJob(pipeline, "apply")        # pipeline: tests/ci/pipeline.Pipeline
    result = job.run()                        # or job.run(cancel_when=lambda: ...)
    assert result.status == "failed" and result.returncode == 6

What it does like GitLab Runner: `script` (the `before_script` that installs onepin-sync is left
out: the venv on PATH is onepin-sync) runs as one `bash` script with `set -eo pipefail`, so a
function or variable one entry sets is there for the next, and the first entry that fails ends
it; that exit code is the job's status. `after_script` runs afterwards in a new shell in the
same folder, with `CI_JOB_STATUS` (`success`, `failed`, `canceled`), and whatever it exits with
changes nothing (gitlab-org/gitlab#21008). Variables: the file's global and the job's
`variables`, the predefined `CI_*` of a pipeline on the default branch, and the project's CI/CD
variables (the Onepin key, base URL and `ONEPIN_SYNC_GITLAB_TOKEN`), all exported. A cancel
(`cancel_when` turning true) sends SIGTERM to the script's process group, as the runner stops a
job's script; `after_script` starts once every process of the script has ended (the runner
waits for the script's output to close, which a child such as onepin-sync holds open).

The checkout is a clone of the bare repository at the pipeline's commit. The URL the recipe
pushes to (`https://onepin-sync:TOKEN@CI_SERVER_HOST/CI_PROJECT_PATH.git`) is mapped onto the
bare repository by git's `url.<base>.insteadOf`, and the bare repository takes push options (as
GitLab does, for `-o ci.skip`); any other http(s) URL is mapped onto a folder that does not exist:
nothing leaves the machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from tests.ci.pipeline import REPO_ROOT, REPOSITORY, Pipeline

GITLAB = REPO_ROOT / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml"
SERVER_HOST = "gitlab.example"
TOKEN = "glpat-fakeGitlabToken"
JOB_TIMEOUT = 60.0


@dataclass(frozen=True)
class GitLabResult:
    status: str  # success | failed | canceled
    returncode: int  # the script's
    output: str  # the script's stdout and stderr
    after_script: str  # after_script's stdout and stderr ("" when the job has none)


class GitLabJob:
    def __init__(
        self,
        pipeline: Pipeline,
        name: str,
        *,
        variables: Mapping[str, str] | None = None,
    ) -> None:
        """Job `name` of the shipped file; `variables` are the project's CI/CD variables
        (default: the workspace's key and base URL, and the GitLab token)."""
        self.pipeline = pipeline
        self.document: Mapping[str, Any] = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
        self.job: Mapping[str, Any] = self.document[name]
        self.root = pipeline.machine_folder(f"gitlab-{name}")
        self.workspace = self.root / "workspace"
        self.variables = dict(
            variables
            if variables is not None
            else {
                "ONEPIN_API_KEY": pipeline.workspace.api_key,
                "ONEPIN_BASE_URL": pipeline.workspace.base_url,
                "ONEPIN_SYNC_GITLAB_TOKEN": TOKEN,
            }
        )

    def environ(self, sha: str) -> dict[str, str]:
        push_url = f"https://onepin-sync:{TOKEN}@{SERVER_HOST}/{REPOSITORY}.git"
        return {
            **self.pipeline.environ,
            "CI": "true",
            "GITLAB_CI": "true",
            "CI_PROJECT_DIR": str(self.workspace),
            "CI_SERVER_HOST": SERVER_HOST,
            "CI_PROJECT_PATH": REPOSITORY,
            "CI_PROJECT_ID": "42",
            "CI_DEFAULT_BRANCH": "main",
            "CI_COMMIT_BRANCH": "main",
            "CI_COMMIT_SHA": sha,
            "CI_COMMIT_SHORT_SHA": sha[:8],
            "CI_PIPELINE_SOURCE": "push",
            "CI_JOB_URL": f"https://{SERVER_HOST}/{REPOSITORY}/-/jobs/{self.root.name[:2]}",
            "GIT_CONFIG_COUNT": "3",
            "GIT_CONFIG_KEY_0": f"url.{self.pipeline.origin}.insteadOf",
            "GIT_CONFIG_VALUE_0": push_url,
            # Any other URL (another token, say) goes nowhere, never to the network.
            "GIT_CONFIG_KEY_1": f"url.{self.root / 'no-network'}/.insteadOf",
            "GIT_CONFIG_VALUE_1": "https://",
            "GIT_CONFIG_KEY_2": f"url.{self.root / 'no-network'}/.insteadOf",
            "GIT_CONFIG_VALUE_2": "http://",
            **{str(k): str(v) for k, v in (self.document.get("variables") or {}).items()},
            **{str(k): str(v) for k, v in (self.job.get("variables") or {}).items()},
            **self.variables,
        }

    def run(self, *, cancel_when: Callable[[], bool] | None = None) -> GitLabResult:
        pipeline = self.pipeline
        sha = pipeline.sha()
        pipeline.git("--git-dir", str(pipeline.origin), "config", "receive.advertisePushOptions",
                     "true")  # fmt: skip
        pipeline.git("clone", "--quiet", str(pipeline.origin), str(self.workspace))
        pipeline.git("checkout", "--quiet", sha, cwd=self.workspace)
        environ = self.environ(sha)
        returncode, output, cancelled = self._shell(
            self.job["script"], environ, "script", cancel_when
        )
        status = "canceled" if cancelled else "success" if returncode == 0 else "failed"
        after = ""
        if "after_script" in self.job:
            _, after, _ = self._shell(
                self.job["after_script"], {**environ, "CI_JOB_STATUS": status}, "after", None
            )
        return GitLabResult(status, returncode, output, after)

    def _shell(
        self,
        lines: list[str],
        environ: Mapping[str, str],
        part: str,
        cancel_when: Callable[[], bool] | None,
    ) -> tuple[int, str, bool]:
        script = self.root / f"{part}.sh"
        script.write_text("set -eo pipefail\n" + "\n".join(lines) + "\n", encoding="utf-8")
        log = self.root / f"{part}.log"
        with log.open("w", encoding="utf-8") as out:
            process = subprocess.Popen(
                ["bash", "--noprofile", "--norc", str(script)],
                cwd=self.workspace,
                env=dict(environ),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            cancelled = False
            deadline = time.monotonic() + JOB_TIMEOUT
            while process.poll() is None:
                if time.monotonic() > deadline:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    raise AssertionError(f"{part} ran over {JOB_TIMEOUT:g} s")
                if cancel_when is not None and not cancelled and cancel_when():
                    os.killpg(process.pid, signal.SIGTERM)
                    cancelled = True
                time.sleep(0.01)
            while _group_alive(process.pid):  # e.g. onepin-sync finishing after the shell died
                if time.monotonic() > deadline:
                    os.killpg(process.pid, signal.SIGKILL)
                    raise AssertionError(f"{part} left processes running over {JOB_TIMEOUT:g} s")
                time.sleep(0.01)
        return process.returncode, log.read_text(encoding="utf-8"), cancelled


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
