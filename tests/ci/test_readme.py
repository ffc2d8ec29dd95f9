"""The README's CI section quotes the recipes as they are: every excerpt it marks is in its file,
word for word (indented as the file has it)."""

from __future__ import annotations

import re
import textwrap

from tests.ci.pipeline import REPO_ROOT

EXCERPT = re.compile(r"<!-- excerpt of (?P<path>\S+) -->\n```\w*\n(?P<text>.*?)```\n", re.DOTALL)


def test_every_readme_excerpt_of_a_recipe_is_in_the_recipe_word_for_word() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    excerpts = [(m["path"], m["text"]) for m in EXCERPT.finditer(readme)]
    assert {path for path, _ in excerpts} >= {
        "examples/ci/github/onepin-plan.yml",
        "examples/ci/github/onepin-apply.yml",
    }
    for path, text in excerpts:
        recipe = (REPO_ROOT / path).read_text(encoding="utf-8")
        indents = (" " * n for n in range(0, 13, 2))
        assert any(textwrap.indent(text, indent) in recipe for indent in indents), (
            f"the README's excerpt of {path} is not in it:\n{text}"
        )
