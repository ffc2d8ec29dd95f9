"""A stand-in for the GitHub CLI `gh`: the calls the recipes make, against a JSON file.

Installed on a job's PATH as `gh` (see `install_fake_gh`); the state file (`FAKE_GH_STATE`) holds
the repository's issue comments, issues and pull requests, and every call's arguments (with
whether GH_TOKEN was set, never its value). Supported, as the recipes use them:

    gh api [--paginate] [--method M] repos/O/R/issues/N/comments [-F body=@FILE] [--jq EXPR]
    gh api --method PATCH repos/O/R/issues/comments/ID -F body=@FILE
    gh api [--paginate] 'repos/O/R/issues?state=open&...' [--jq EXPR]
    gh pr list --head BRANCH --state open --json number [--jq EXPR]
    gh pr create --base B --head BRANCH --title T --body-file FILE
    gh pr edit N --body-file FILE
    gh issue create --title T --body-file FILE
    gh issue edit N --body-file FILE

A body (of a comment, an issue or a pull request) over GitHub's 65,536 characters is refused as
GitHub refuses it (HTTP 422), and one that is not UTF-8 (text cut inside a character) too.
`gh pr create` is refused, as GitHub refuses it to GITHUB_TOKEN, unless the state's
`actions_can_create_pull_requests` is true: the repository setting "Allow GitHub Actions to
create and approve pull requests", off by default.

Anything else exits 1 with "fake gh: unsupported", so a recipe using a new call fails its test.
`--jq` runs the real `jq -r` on the answer, as gh does (one page).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

BOT = {"login": "github-actions[bot]", "type": "Bot"}


class Refused(Exception):
    """An answer of GitHub's that gh reports as an error: its message, exit 1."""


def load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"calls": [], "comments": [], "issues": [], "next_id": 1000, "next_number": 1}
    state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return state


def save(path: Path, state: dict[str, Any]) -> None:
    path.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def install_fake_gh(bin_dir: Path) -> Path:
    """Write a `gh` into `bin_dir` that runs this module with this Python."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__)}" "$@"\n', encoding="utf-8")
    gh.chmod(0o755)
    return gh


def _options(args: list[str], flags: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Options with a value (repeatable) and the positional arguments; `flags` take none."""
    options: dict[str, list[str]] = {}
    positional: list[str] = []
    items = iter(args)
    for item in items:
        if item in flags:
            options.setdefault(item, []).append("")
        elif item.startswith("-"):
            options.setdefault(item, []).append(next(items))
        else:
            positional.append(item)
    return options, positional


BODY_LIMIT = 65_536
"""GitHub's limit on the body of a comment, an issue or a pull request, in characters."""


def _text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(f"fake gh: {path} is not UTF-8 ({exc.reason} at byte {exc.start})") from None


def _field(value: str) -> tuple[str, str]:
    name, _, raw = value.partition("=")
    if raw.startswith("@"):
        raw = _text(raw[1:])
    return name, raw


def _body(options: dict[str, list[str]]) -> str | None:
    if "--body-file" in options:
        body: str | None = _text(options["--body-file"][0])
    else:
        fields = dict(_field(v) for v in options.get("-F", []) + options.get("--field", []))
        body = fields.get("body")
    if body is not None and len(body) > BODY_LIMIT:
        raise Refused(
            "HTTP 422: Validation Failed (https://api.github.com/)\n"
            f"body is too long (maximum is {BODY_LIMIT} characters)"
        )
    return body


def _api(state: dict[str, Any], args: list[str]) -> Any:
    options, positional = _options(args, {"--paginate"})
    method = (options.get("--method") or options.get("-X") or ["GET"])[0].upper()
    path = positional[0].split("?", 1)[0]
    if match := re.fullmatch(r"repos/[^/]+/[^/]+/issues/(\d+)/comments", path):
        number = int(match[1])
        if method == "GET":
            return [c for c in state["comments"] if c["issue"] == number]
        if method == "POST":
            comment = {"id": state["next_id"], "issue": number, "body": _body(options), "user": BOT}
            state["next_id"] += 1
            state["comments"].append(comment)
            return comment
    if (match := re.fullmatch(r"repos/[^/]+/[^/]+/issues/comments/(\d+)", path)) and (
        method == "PATCH"
    ):
        comment = next(c for c in state["comments"] if c["id"] == int(match[1]))
        comment["body"] = _body(options)
        return comment
    if re.fullmatch(r"repos/[^/]+/[^/]+/issues", path) and method == "GET":
        return [i for i in state["issues"] if i["state"] == "open"]
    raise LookupError


def _new_issue(state: dict[str, Any], **fields: Any) -> dict[str, Any]:
    issue = {"number": state["next_number"], "state": "open", "user": BOT, **fields}
    state["next_number"] += 1
    state["issues"].append(issue)
    return issue


def _find(state: dict[str, Any], number: str, *, pull: bool) -> dict[str, Any]:
    found: dict[str, Any] = next(
        i
        for i in state["issues"]
        if i["number"] == int(number) and (i.get("pull_request") is not None) == pull
    )
    return found


def _command(state: dict[str, Any], argv: list[str]) -> Any:
    """The answer to one call (JSON-able), or a line of text; LookupError when unsupported."""
    group, verb, rest = [*argv, "", ""][0], [*argv, "", ""][1], argv[2:]
    if group == "api":
        return _api(state, argv[1:])
    options, positional = _options(rest, set())
    pull = group == "pr"
    if group in {"pr", "issue"} and verb == "list":
        items = [i for i in state["issues"] if (i.get("pull_request") is not None) == pull]
        items = [i for i in items if i["state"] == (options.get("--state") or ["open"])[0]]
        if "--head" in options:
            items = [i for i in items if i["pull_request"]["head"] == options["--head"][0]]
        fields = (options.get("--json") or ["number"])[0].split(",")
        return [{f: i.get(f) for f in fields} for i in items]
    if group == "pr" and verb == "create" and not state.get("actions_can_create_pull_requests"):
        raise Refused(
            "pull request create failed: GraphQL: GitHub Actions is not permitted to create or "
            "approve pull requests (createPullRequest)"
        )
    if group in {"pr", "issue"} and verb == "create":
        extra: dict[str, Any] = {"pull_request": None}
        if pull:
            extra["pull_request"] = {"head": options["--head"][0], "base": options["--base"][0]}
        issue = _new_issue(state, title=options["--title"][0], body=_body(options), **extra)
        kind = "pull" if pull else "issues"
        return f"https://github.example/{kind}/{issue['number']}"
    if group in {"pr", "issue"} and verb == "edit":
        issue = _find(state, positional[0], pull=pull)
        issue["body"] = _body(options)
        return f"https://github.example/{'pull' if pull else 'issues'}/{issue['number']}"
    raise LookupError


def main(argv: list[str]) -> int:
    path = Path(os.environ["FAKE_GH_STATE"])
    state = load(path)
    state["calls"].append({"argv": argv, "token": bool(os.environ.get("GH_TOKEN"))})
    jq = None
    if "--jq" in argv:
        at = argv.index("--jq")
        jq, argv = argv[at + 1], argv[:at] + argv[at + 2 :]
    try:
        answer = _command(state, argv)
    except Refused as refused:
        save(path, state)
        print(refused, file=sys.stderr)
        return 1
    except (LookupError, StopIteration, IndexError, KeyError):
        save(path, state)
        print(f"fake gh: unsupported: {argv}", file=sys.stderr)
        return 1
    save(path, state)
    if isinstance(answer, str):
        print(answer)
    elif jq is not None:
        subprocess.run(["jq", "-r", jq], input=json.dumps(answer), text=True, check=True)
    else:
        print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
