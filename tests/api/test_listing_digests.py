"""Reading a listing page with each item's digest (`decoding.read_listing`): the same values the
standard decoder reads, whatever the spelling, and a digest that changes with the spec as served
and with nothing else."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onepin_sync.api.decoding import NotAnEnvelope, read_envelope, read_listing
from onepin_sync.core.fingerprint import listed_digest

DEFINITION: dict[str, Any] = {
    "graph": {
        "nodes": [
            {"id": "script", "type": "source_script", "config": {"definition": "nested", "n": 1}},
            {"id": "voice", "type": "operator_generator", "position": {"x": 2.5e-7, "y": -0.0}},
        ],
        "edges": [],
    },
    "execution": {"params": {"text": 'quote " backslash \\ tab \t é 😀 \u2028'}},
}


def _item(**changes: Any) -> dict[str, Any]:
    return {
        "id": "wf-1",
        "name": "Hotline",
        "description": None,
        "definition": DEFINITION,
        "created_at": "2026-12-01T00:00:00Z",
        "updated_at": "2026-12-01T00:00:00Z",
        "runs_count": 0,
        "last_run_at": None,
        **changes,
    }


def _body(*items: Any) -> dict[str, Any]:
    return {
        "data": list(items),
        "meta": {"request_id": "req-1"},
        "pagination": {"total": len(items), "limit": 100, "offset": 0},
    }


def _response(text: str | bytes) -> httpx.Response:
    return httpx.Response(200, content=text.encode() if isinstance(text, str) else text)


SPELLINGS = {
    "compact": {"separators": (",", ":"), "ensure_ascii": False},
    "spaced, ASCII escapes": {"indent": 2, "ensure_ascii": True},
    "default": {},
}


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_a_page_reads_as_the_standard_decoder_reads_it(spelling: dict[str, Any]) -> None:
    text = json.dumps(_body(_item(), _item(id="wf-2", definition={})), **spelling)
    body, digests = read_listing(_response(text))

    assert body == read_envelope(_response(text)) == json.loads(text)
    assert len(digests) == 2
    assert all(digests)


def test_the_digest_is_the_spec_as_served_and_nothing_else() -> None:
    def digest(item: dict[str, Any], **spelling: Any) -> str | None:
        (found,) = read_listing(_response(json.dumps(_body(item), **spelling)))[1]
        return found

    first = digest(_item())
    assert first == listed_digest("Hotline", None, json.dumps(DEFINITION))
    # Runs and times move without the spec: the same digest.
    assert digest(_item(runs_count=7, last_run_at="2026-12-02T00:00:00Z", updated_at="x")) == first
    assert digest(dict(reversed(_item().items()))) == first  # members reordered
    # The spec moves: another digest.
    assert digest(_item(name="Hotline 2")) != first
    assert digest(_item(description="")) != first
    assert digest(_item(definition={**DEFINITION, "execution": {}})) != first
    assert digest(_item(), indent=1) != first  # another spelling of it: settled by fingerprint


def test_items_without_a_definition_have_no_digest() -> None:
    text = json.dumps(_body({k: v for k, v in _item().items() if k != "definition"}, 3))
    body, digests = read_listing(_response(text))

    assert body == json.loads(text)
    assert digests == [None, None]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"data": [1, 2}',
        '{"data": []} trailing',
        '{"data": [{"definition": {}}',
        "{'data': []}",
        '{"meta": {}}',
        b'{"data": ["\xff"]}',
    ],
)
def test_a_body_that_is_not_a_listing_envelope_is_refused(text: str | bytes) -> None:
    with pytest.raises(NotAnEnvelope):
        read_listing(_response(text))


def test_data_that_is_not_a_list_is_read_for_the_page_check_to_refuse() -> None:
    body, digests = read_listing(_response('{"data": {"a": 1}, "pagination": null}'))

    assert body == {"data": {"a": 1}, "pagination": None}
    assert digests == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
ITEMS = st.lists(
    st.dictionaries(st.sampled_from(["id", "name", "description", "definition", "x"]), JSON) | JSON,
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(
    items=ITEMS,
    extra=st.dictionaries(st.text(), JSON, max_size=3),
    indent=st.sampled_from([None, 0, 1, "\t"]),
    ensure_ascii=st.booleans(),
)
def test_any_page_reads_as_the_standard_decoder_reads_it(
    items: list[Any], extra: dict[str, Any], indent: int | str | None, ensure_ascii: bool
) -> None:
    text = json.dumps({**extra, "data": items}, indent=indent, ensure_ascii=ensure_ascii)
    body, digests = read_listing(_response(text))

    assert body == json.loads(text)
    assert len(digests) == len(items)
    for item, digest in zip(items, digests, strict=True):
        assert (digest is not None) == (isinstance(item, dict) and "definition" in item)


def test_a_page_json_reads_is_read_whatever_its_names_hold() -> None:
    """Values JSON allows but a workflow never has still read (the page check judges them)."""
    text = '{"data": [{"name": "\\ud800", "description": Infinity, "definition": {}}]}'
    body, digests = read_listing(_response(text))

    assert body == json.loads(text)
    assert digests[0] is not None


def test_a_body_saying_data_twice_means_its_last_with_its_own_digests() -> None:
    first, last = _item(), _item(id="wf-2", name="Other")
    text = f'{{"data": [{json.dumps(first)}], "data": [{json.dumps(last)}]}}'
    body, digests = read_listing(_response(text))

    assert body == json.loads(text)
    assert digests == [listed_digest("Other", None, json.dumps(DEFINITION))]
