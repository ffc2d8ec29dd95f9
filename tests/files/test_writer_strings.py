"""Any string a workspace holds is written into a file that reads back as exactly that string:
`import` and `pull` write it, `fmt` lays it out again, and none of them may change it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from onepin_sync.core.models import WorkflowSpec
from onepin_sync.files.roundtrip import canonical_text
from onepin_sync.files.yamlstrict import parse_document
from onepin_sync.files.yamlwriter import workflow_yaml

# Line breaks of every kind and the characters a literal block cannot hold, among plain text.
TEXT = st.text(
    alphabet=st.sampled_from(list("ab \t\n\r\x85\u2028\u2029\x07\xa0é😀#:-|>'\"")), max_size=40
)


def _spec(text: str) -> WorkflowSpec:
    node = {"id": "s", "type": "source_script", "position": {"x": 0, "y": 0},
            "config": {"script_text": text}}  # fmt: skip
    return WorkflowSpec(
        name="Pasted", description=text, definition={"graph": {"nodes": [node], "edges": []}}
    )


def _script(text: str) -> object:
    value, problems = parse_document(text)
    assert problems == []
    assert isinstance(value, dict)
    return (value["description"], value["definition"]["graph"]["nodes"][0]["config"])


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_any_string_is_written_and_laid_out_again_as_itself(text: str) -> None:
    written = workflow_yaml(_spec(text))  # raises if it would not read back

    assert _script(written) == (text, {"script_text": text})
    assert canonical_text(written) == written  # `fmt --check` accepts what import writes


def test_windows_line_endings_are_quoted_not_a_block() -> None:
    written = workflow_yaml(_spec("Hello\r\nWorld"))

    assert 'script_text: "Hello\\r\\nWorld"' in written
