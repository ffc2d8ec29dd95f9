"""Everything shown to a person or a program: rich, and only here (and in cli/).

    registry.py  the plan views by `--format` name: human, json, markdown
    human.py     the Terraform-like plan text
    markdown.py  the plan for a pull-request comment (markdown_content.py: a new workflow's)
    console.py   the `Ui` port on a rich console; one-line errors
    progress.py  the progress bar and the lock-wait spinner on a terminal
    documents.py each command's `--json` document, from its outcome
    reports.py   the closing lines of each command, from its outcome
    onboarding.py what `init` prints: the files written and the next steps

Views format and print; they decide nothing and return nothing (exit codes are the outcomes').
May import commands' outcome types and `core/`; never api/ or state/.
"""
