"""The example workflows load cleanly, need no environment, and read like real voice workflows."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepin_sync.files.loader import load_workflows

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "workflows"
SCHEMA = ROOT / "schemas" / "workflow.schema.json"
EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.yaml"))
SCHEMA_COMMENT = "# yaml-language-server: $schema="


def test_every_example_loads_without_problems_or_environment() -> None:
    state = load_workflows(EXAMPLES, env={})
    assert sorted(state.workflows) == [
        "education/lesson-narration",
        "marketing/product-launch-promo",
        "support/payment-reminder",
        "support/welcome-call",
    ]
    assert state.secret_values == frozenset()


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_each_example_points_its_editor_at_the_schema(path: Path) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith(SCHEMA_COMMENT)
    target = (path.parent / first_line.removeprefix(SCHEMA_COMMENT)).resolve()
    assert target == SCHEMA


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_each_example_voices_every_language_it_produces(path: Path) -> None:
    """Generators carry a voice for the script's language and every translated one."""
    key = path.relative_to(EXAMPLES).with_suffix("").as_posix()
    nodes = load_workflows(EXAMPLES, env={}).workflows[key].spec.definition["graph"]["nodes"]
    by_type: dict[str, list[dict[str, object]]] = {}
    for node in nodes:
        by_type.setdefault(node["type"], []).append(node.get("config", {}))
    languages = {config["source_language"] for config in by_type["source_script"]}
    for config in by_type.get("operator_translator", []):
        languages.update(config["target_languages"])  # type: ignore[arg-type]
    assert by_type["operator_generator"]
    for config in by_type["operator_generator"]:
        voice_map = config["voice_map"]
        assert isinstance(voice_map, dict)
        assert set(voice_map) == languages
        for voices in voice_map.values():
            for voice in voices:
                assert {"voice_id", "provider", "model"} <= set(voice)
    assert "sink_preview" in by_type


def test_the_examples_show_generated_layout_and_prevent_destroy() -> None:
    state = load_workflows(EXAMPLES, env={})
    texts = {path.read_text(encoding="utf-8") for path in EXAMPLE_FILES}
    assert any("position:" not in text for text in texts)
    assert any(w.lifecycle.prevent_destroy for w in state.workflows.values())
    assert not any("${" in text for text in texts)
