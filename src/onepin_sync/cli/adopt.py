"""Click commands for adopting a workspace and keeping its files tidy: `import`, `list`, `fmt`.

Light at import (see the package docstring): each command imports its operation and views in its
body. Registered on the root group at the end of `commands.py`, loaded when one of them runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from onepin_sync.cli.commands import Context, _run_async, pass_context
from onepin_sync.cli.helptext import command_help
from onepin_sync.cli.options import (
    client_from,
    client_options,
    json_option,
    key_selection_from,
    key_selection_options,
    lock_timeout_option,
    target_from,
    target_options,
)

_TEMPLATE_HELP = (
    "Key of each workflow under the workflows folder: {slug} (its name in lower-case words), "
    "{id}, {id8} (first 8 characters of the id)."
)


@click.command("import", **command_help("import"))
@click.argument("workflow_ids", nargs=-1, metavar="[ID]...")
@click.option("--key", metavar="KEY", help="The key of the one workflow ID names.")
@click.option("--all", "import_all", is_flag=True, help="Plan importing every unmanaged workflow.")
@click.option(
    "--search",
    metavar="TEXT",
    help="With --all: name or description contains TEXT (at most 100 characters).",
)
@click.option("--name-glob", metavar="GLOB", help="With --all: name matches GLOB (any case).")
@click.option(
    "--dir-template", default="{slug}", show_default=True, metavar="TEMPLATE", help=_TEMPLATE_HELP
)
@click.option("--auto-approve", is_flag=True, help="Import without asking (for scripts).")
@click.option(
    "--out", type=click.Path(path_type=Path), help="Save the import plan for `apply FILE`."
)
@target_options
@key_selection_options
@client_options
@lock_timeout_option
@json_option
@pass_context
def import_command(
    ctx: Context,
    /,
    workflow_ids: tuple[str, ...],
    key: str | None,
    import_all: bool,
    search: str | None,
    name_glob: str | None,
    dir_template: str,
    auto_approve: bool,
    out: Path | None,
    lock_timeout: float,
    as_json: bool,
    **kw: Any,
) -> None:
    """Adopt workflows made in the Onepin app (help: `helptext`)."""
    from onepin_sync.commands import importing
    from onepin_sync.views import reports

    ctx.machine = as_json
    settings = importing.ImportSettings(
        target=target_from(kw),
        workflow_ids=workflow_ids,
        key=key,
        all=import_all,
        search=search,
        name_glob=name_glob,
        dir_template=dir_template,
        auto_approve=auto_approve,
        interactive=sys.stdin.isatty(),
        out=out,
        lock_timeout=lock_timeout,
        client=client_from(kw),
        selection=key_selection_from(kw),
    )
    outcome = _run_async(importing.run(settings, ctx.environment(), ctx.ui))
    reports.import_report(ctx.ui, outcome)
    if as_json:
        from onepin_sync.views.documents import import_document, print_document

        print_document(ctx.ui, import_document(outcome))
    sys.exit(outcome.exit_code)


@click.command("list", **command_help("list"))
@click.option("--unmanaged", is_flag=True, help="Only the workflows the lockfile does not manage.")
@click.option(
    "--dir-template", default="{slug}", show_default=True, metavar="TEMPLATE", help=_TEMPLATE_HELP
)
@target_options
@client_options
@json_option
@pass_context
def list_command(
    ctx: Context, /, unmanaged: bool, dir_template: str, as_json: bool, **kw: Any
) -> None:
    """List the workspace's workflows (help: `helptext`)."""
    from onepin_sync.commands import listing
    from onepin_sync.views import reports

    ctx.machine = as_json
    settings = listing.ListSettings(
        target=target_from(kw),
        unmanaged_only=unmanaged,
        dir_template=dir_template,
        client=client_from(kw),
    )
    outcome = _run_async(listing.run(settings, ctx.environment(), ctx.ui))
    if as_json:
        from onepin_sync.views.documents import list_document, print_document

        print_document(ctx.ui, list_document(outcome, ctx.ui.redactor.text))
    else:
        reports.list_report(ctx.ui, outcome)
    sys.exit(outcome.exit_code)


@click.command("fmt", **command_help("fmt"))
@click.argument("keys", nargs=-1)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 3 listing files that would change."
)
@target_options
@pass_context
def fmt_command(ctx: Context, /, keys: tuple[str, ...], check: bool, **kw: Any) -> None:
    """Lay the workflow files out canonically (help: `helptext`)."""
    from onepin_sync.commands import fmt
    from onepin_sync.views import reports

    settings = fmt.FmtSettings(target=target_from(kw), keys=keys, check=check)
    outcome = fmt.run(settings, ctx.environment(), ctx.ui)
    reports.fmt_report(ctx.ui, outcome)
    sys.exit(outcome.exit_code)
