"""The API target of a run: base URL, API key and workspace, resolved like the official CLI.

Resolution follows the official `onepin` CLI so one login serves both tools:
- API key: `--api-key`; else, for an environment with `api_key_env`, that variable only (an
  unset one is an error, never a fallback to another workspace's key); else `ONEPIN_API_KEY`,
  then `~/.onepin/credentials` (`[default] api_key`);
- base URL: `--base-url`, the environment's `base_url`, `ONEPIN_BASE_URL`, the credentials file,
  else `https://api.onepin.ai`; plain `http://` only for loopback hosts;
- workspace: `--workspace`, the environment's `workspace`, `ONEPIN_WORKSPACE_ID`.
The environment mapping and home folder are passed in, never read
from globals, and the API key is never part of a repr or a message.
"""

from __future__ import annotations

import stat
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from onepin_sync.errors import InputError
from onepin_sync.files.project import (
    DEFAULT_BASE_URL,
    EnvironmentConfig,
    TargetOptions,
    base_url_problem,
)

EMULATOR_API_URL = "emulator:embedded"  # the lockfile's target label for `--emulator`


@dataclass(frozen=True)
class Target:
    """The API endpoint and credentials to use."""

    base_url: str
    api_key: str = field(repr=False)
    workspace: str | None
    api_url: str  # what the lockfile records as the target (base URL, or the emulator label)


def resolve_target(
    options: TargetOptions,
    env_config: EnvironmentConfig,
    environ: Mapping[str, str],
    home: Path,
    warnings: list[str],
) -> Target:
    """The remote target; raises InputError when no key is found or the URL is unsafe."""
    credentials = _read_credentials(home, warnings)
    key_env = env_config.api_key_env
    if options.api_key:
        api_key: str | None = options.api_key
        source = "--api-key"
    elif key_env:
        # Never fall back to the default key: it usually belongs to another workspace.
        api_key, source = environ.get(key_env), f"${key_env}"
        if not (api_key or "").strip():
            raise InputError(
                f"environment {options.env_name!r} takes its API key from {key_env}, which is "
                "not set (or pass --api-key)"
            )
    else:
        api_key = environ.get("ONEPIN_API_KEY") or credentials.get("api_key")
        source = "$ONEPIN_API_KEY" if environ.get("ONEPIN_API_KEY") else "~/.onepin/credentials"
    # A key copied with its line end (`gh secret set < file`) is the same key.
    api_key = (api_key or "").strip()
    if not api_key:
        raise InputError(
            "no Onepin API key: pass --api-key, set ONEPIN_API_KEY, or run `onepin login` "
            "(or try the local emulator with --emulator)"
        )
    if not (api_key.isascii() and api_key.isprintable()) or " " in api_key:
        raise InputError(
            f"the API key from {source} holds a space, a control or a non-ASCII character, which "
            "no key has and no request header can carry; copy the key again"
        )
    base_url = _base_url(options, env_config, environ, credentials)
    check_base_url(base_url)
    workspace = options.workspace or env_config.workspace or environ.get("ONEPIN_WORKSPACE_ID")
    if workspace:
        workspace = canonical_workspace_id(workspace)
    return Target(base_url=base_url, api_key=api_key, workspace=workspace or None, api_url=base_url)


def target_label(
    options: TargetOptions, env_config: EnvironmentConfig, environ: Mapping[str, str], home: Path
) -> str:
    """What the lockfile and the catalogue cache call the target, resolved without a key (for
    offline `validate`): the base URL, or the embedded emulator's label."""
    if options.emulator:
        return EMULATOR_API_URL
    credentials = _read_credentials(home, [])
    return _base_url(options, env_config, environ, credentials)


def _base_url(
    options: TargetOptions,
    env_config: EnvironmentConfig,
    environ: Mapping[str, str],
    credentials: Mapping[str, str],
) -> str:
    return (
        options.base_url
        or env_config.base_url
        or environ.get("ONEPIN_BASE_URL")
        or credentials.get("base_url")
        or DEFAULT_BASE_URL
    ).rstrip("/")


def check_base_url(url: str) -> None:
    """Refuse anything but https, except plain http to a loopback host (`base_url_problem`)."""
    problem = base_url_problem(url)
    if problem is not None:
        raise InputError(problem)


def canonical_workspace_id(workspace: str) -> str:
    """A workspace id in the form the API answers with (lower case, dashed), so it compares
    equal to the lockfile's and whoami's; refuses one that is not a UUID, as the API would."""
    try:
        return str(uuid.UUID(workspace))
    except ValueError:
        raise InputError(
            "the workspace (--workspace, workspace: in onepin-sync.yaml or ONEPIN_WORKSPACE_ID) "
            "must be a workspace id, a UUID like 3fa85f64-5717-4562-b3fc-2c963f66afa6"
        ) from None


def _read_credentials(home: Path, warnings: list[str]) -> dict[str, str]:
    """`[default]` of `~/.onepin/credentials` ({} when absent); warns when others can read it."""
    path = home / ".onepin" / "credentials"
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the credentials file ({exc})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.append(
            f"{path} is readable by other users; run `chmod 600 {path}` to protect the API key"
        )
    try:
        section = tomllib.loads(text).get("default", {})
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    if not isinstance(section, dict):
        return {}
    return {k: v for k, v in section.items() if k in {"api_key", "base_url"} and isinstance(v, str)}
