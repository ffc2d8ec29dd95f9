"""`LazyGroup`: a click group that imports some of its subcommands only when they are used.

The emulator's command group lives outside `cli/` and imports the emulator's own modules; the
root group names it with its one-line help, so `onepin-sync --help` lists it without importing
it, and it loads when it runs or shows its own help. Imports click and the standard library only.
"""

from __future__ import annotations

import importlib
from typing import Any

import click


class LazyGroup(click.Group):
    """A group whose lazy subcommands are `module:attribute` names, imported on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy: dict[str, tuple[str, str]] = {}

    def add_lazy_command(self, name: str, import_path: str, short_help: str) -> None:
        """Register `import_path` (`package.module:attribute`) as the subcommand `name`."""
        self._lazy[name] = (import_path, short_help)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy and cmd_name not in self.commands:
            module_name, _, attribute = self._lazy[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self._lazy[cmd_name][0]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`; a lazy command shows its registered help, unimported."""
        listed: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            if name in self._lazy and name not in self.commands:
                listed.append((name, click.Command(name, short_help=self._lazy[name][1])))
            elif (command := self.get_command(ctx, name)) is not None and not command.hidden:
                listed.append((name, command))
        if not listed:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in listed)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in listed])
