"""The global options, accepted before or after the command name.

`onepin-sync --debug plan` and `onepin-sync plan --debug` mean the same: `RootGroup` gives every
command it resolves (and every command of a group under it) a copy of the global options, whose
values land on the root's `Context` instead of reaching the command's function. Imports click
and the standard library only (see the package docstring).

    --debug          tracebacks and one line per HTTP request (never a secret)
    --no-color       plain output (also NO_COLOR)
    -q, --quiet      only errors and the final summary
    -v, --verbose    also what each step did (per-workflow lines on a terminal too)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import click

from onepin_sync.cli.lazy import LazyGroup

F = TypeVar("F", bound=Callable[..., Any])

GLOBAL_OPTIONS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("--debug",), "debug", "Tracebacks and one line per HTTP request (never secrets)."),
    (("--no-color",), "no_color", "Plain output (also when NO_COLOR is set)."),
    (("-q", "--quiet"), "quiet", "Only errors and the final summary."),
    (("-v", "--verbose"), "verbose", "Also say what each step did (timings, every workflow)."),
)
"""(flags, name, help) of each global option."""


class GlobalSettings(Protocol):
    """What the global options set: the root group's context object has these attributes."""

    debug: bool
    no_color: bool
    quiet: bool
    verbose: bool


def global_options(command: F) -> F:
    """The global options on the root group, passed to its function as keyword arguments."""
    for flags, name, help_text in reversed(GLOBAL_OPTIONS):
        command = click.option(*flags, name, is_flag=True, help=help_text)(command)
    return command


def check_verbosity(quiet: bool, verbose: bool) -> None:
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose exclude each other")


class RootGroup(LazyGroup):
    """The root group: its global options also work after any command name."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _give_global_options(command)
        return command


def _give_global_options(command: click.Command) -> None:
    names = {param.name for param in command.params}
    for flags, name, help_text in GLOBAL_OPTIONS:
        if name not in names:
            command.params.append(
                click.Option(
                    flags,
                    is_flag=True,
                    expose_value=False,
                    callback=_setter(name),
                    help=help_text,
                )
            )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _give_global_options(sub)


def _setter(name: str) -> Callable[[click.Context, click.Parameter, bool], None]:
    """A callback recording a global flag given after the command name on the root's object."""

    def record(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        settings: GlobalSettings | None = ctx.find_root().obj
        if value and settings is not None:
            setattr(settings, name, True)
            check_verbosity(settings.quiet, settings.verbose)

    return record
