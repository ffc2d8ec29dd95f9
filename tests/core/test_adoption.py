"""The key `import` gives a workflow: its name as a file name anyone can type."""

from __future__ import annotations

import pytest

from onepin_sync.core.adoption import slug
from onepin_sync.core.keys import valid_key

ID = "96c84a8f-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Welcome call (EN/ES)", "welcome-call-en-es"),
        ("Über", "uber"),  # accents dropped, not the letters under them
        ("Ünïcödé café", "unicode-cafe"),
        ("Straße Ærø", "strasse-aero"),  # letters that are no letter plus an accent
        ("ﬁle №5", "file-no5"),  # compatibility forms spelled out
        ("Привет", "workflow-96c84a8f"),  # no Latin letter or digit left: from the id
        ("  --  ", "workflow-96c84a8f"),
        ("x" * 80, "x" * 60),
    ],
)
def test_a_name_becomes_a_key_of_latin_letters_digits_and_dashes(name: str, expected: str) -> None:
    assert slug(name, ID) == expected
    assert valid_key(slug(name, ID))
