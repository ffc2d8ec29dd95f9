"""`${env.NAME}` / `${secret.NAME}` interpolation: values, escapes, refusals, and secrecy."""

from __future__ import annotations

from pathlib import Path

import pytest

from onepin_sync.files.interpolate import Interpolator
from onepin_sync.files.loader import load_workflows
from onepin_sync.files.yamlstrict import ScalarValueError
from tests.files.folders import PIPELINE, load, only_problem, problems, write_tree

ENV = {"COMPANY": "Northwind", "TOKEN": "s3cr3t-value", "EMPTY": "", "GREETING": "Hi ${env.X}"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello ${env.COMPANY}!", "Hello Northwind!"),
        ("${env.COMPANY}", "Northwind"),
        ("${env.COMPANY}${env.COMPANY}", "NorthwindNorthwind"),
        ("Bearer ${secret.TOKEN}", "Bearer s3cr3t-value"),
        ("$${env.COMPANY}", "${env.COMPANY}"),
        ("cost: $5 and $$ and ${env.COMPANY}", "cost: $5 and $$ and Northwind"),
        ("$$${env.COMPANY}", "$${env.COMPANY}"),
        ("${env.GREETING}", "Hi ${env.X}"),  # values are not interpolated again
        ("no placeholders", "no placeholders"),
    ],
)
def test_placeholders_are_replaced(text: str, expected: str) -> None:
    assert Interpolator(ENV)(text) == expected


@pytest.mark.parametrize(
    ("text", "index", "message"),
    [
        ("${env.MISSING}", 0, "'${env.MISSING}': environment variable MISSING is not set"),
        ("x ${secret.MISSING}", 2, "'${secret.MISSING}': environment variable MISSING is not set"),
        ("${env.EMPTY}", 0, "'${env.EMPTY}': environment variable EMPTY is empty"),
        ("${COMPANY}", 0, "unsupported placeholder '${COMPANY}'"),
        ("${ env.COMPANY }", 0, "unsupported placeholder '${ env.COMPANY }'"),
        ("${env.COMPANY:-x}", 0, "unsupported placeholder '${env.COMPANY:-x}'"),
        ("${vault.COMPANY}", 0, "unsupported placeholder"),
        ("${env.1X}", 0, "unsupported placeholder"),
        ("${}", 0, "unsupported placeholder '${}'"),
        ("ok ${env.COMPANY", 3, "unterminated placeholder '${env.COMPANY'"),
    ],
)
def test_bad_placeholders_are_refused_where_they_start(text: str, index: int, message: str) -> None:
    with pytest.raises(ScalarValueError) as caught:
        Interpolator(ENV)(text)
    assert caught.value.index == index
    assert caught.value.message.startswith(message)


def test_secret_values_and_the_strings_holding_them_are_collected() -> None:
    interpolator = Interpolator(ENV)
    interpolator("Company ${env.COMPANY}")
    interpolator("Bearer ${secret.TOKEN}")
    assert interpolator.secret_values == {"s3cr3t-value"}
    assert interpolator.secret_strings == {"Bearer s3cr3t-value"}


def test_the_loader_interpolates_string_values_anywhere_but_never_keys(tmp_path: Path) -> None:
    folder = write_tree(
        tmp_path / "wf",
        {
            "a.yaml": (
                'name: "${env.COMPANY} welcome"\n'
                "description: Token ${secret.TOKEN} inside\n"
                "definition:\n"
                "  graph:\n"
                "    nodes:\n"
                "      - id: script\n"
                "        type: source_script\n"
                "        position: {x: 0, y: 0}\n"
                "        config:\n"
                "          script_text: |\n"
                "            Hello from ${env.COMPANY}.\n"
                "          ${env.COMPANY}: key stays literal\n"
                "  execution:\n"
                "    params: {auth: '${secret.TOKEN}', n: 10}\n"
            )
        },
    )
    state = load(folder, ENV)
    spec = state.workflows["a"].spec
    assert spec.name == "Northwind welcome"
    assert spec.description == "Token s3cr3t-value inside"
    node = spec.definition["graph"]["nodes"][0]
    assert node["config"] == {
        "script_text": "Hello from Northwind.\n",
        "${env.COMPANY}": "key stays literal",
    }
    assert spec.definition["execution"]["params"] == {"auth": "s3cr3t-value", "n": 10}
    assert state.secret_values == frozenset({"s3cr3t-value"})


def test_without_secrets_nothing_is_collected(tmp_path: Path) -> None:
    assert load(write_tree(tmp_path / "wf", {"p.yaml": PIPELINE}), ENV).secret_values == frozenset()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "name: Hi ${env.NOPE}!",
            "a.yaml:1:10: '${env.NOPE}': environment variable NOPE is not set",
        ),
        ("name: 'Hi ${env.NOPE}'", "a.yaml:1:11: '${env.NOPE}'"),
        ('name: "Hi ${env.NOPE}"', "a.yaml:1:11: '${env.NOPE}'"),
        ('name: "Tab\\t${env.NOPE}"', "a.yaml:1:7: '${env.NOPE}'"),  # escapes: the scalar's start
        ("name: !!str ${env.NOPE}", "a.yaml:1:7: '${env.NOPE}'"),
        ("name: ${env.EMPTY}", "a.yaml:1:7: '${env.EMPTY}': environment variable EMPTY is empty"),
        (
            "name: ${secret.NOPE}",
            "a.yaml:1:7: '${secret.NOPE}': environment variable NOPE is not set",
        ),
        ("name: x ${name}", "a.yaml:1:9: unsupported placeholder '${name}'; use ${env.NAME} or"),
    ],
)
def test_interpolation_errors_point_at_the_placeholder(
    tmp_path: Path, line: str, expected: str
) -> None:
    folder = write_tree(tmp_path / "wf", {"a.yaml": f"{line}\ndefinition: {{}}\n"})
    assert only_problem(folder, ENV).startswith(expected)


def test_a_block_scalar_placeholder_error_points_at_the_scalar(tmp_path: Path) -> None:
    text = "name: x\ndescription: |\n  line one\n  ${env.NOPE}\ndefinition: {}\n"
    folder = write_tree(tmp_path / "wf", {"a.yaml": text})
    assert only_problem(folder, ENV).startswith("a.yaml:2:14: '${env.NOPE}'")


def test_a_secret_value_never_appears_in_a_message(tmp_path: Path) -> None:
    text = (
        "name: ok\n"
        "definition:\n"
        "  graph:\n"
        "    nodes:\n"
        "      - {id: '${secret.TOKEN}', type: '${secret.TOKEN}', position: {x: 0, y: 0}}\n"
        "      - {id: '${secret.TOKEN}', type: sink_preview, config_version: '${secret.TOKEN}'}\n"
        "    edges:\n"
        "      - {id: e, source: 'x${secret.TOKEN}', sourcePort: lines,"
        " target: '${secret.TOKEN}', targetPort: '${secret.TOKEN}'}\n"
        "  execution: {steps: ['${secret.TOKEN}y']}\n"
    )
    found = problems(write_tree(tmp_path / "wf", {"a.yaml": text}), ENV)
    assert len(found) == 6
    assert all("s3cr3t" not in message for message in found), found
    assert "a.yaml:5:14: definition.graph.nodes[0].id: an id must not hold a ${secret" in found[0]
    assert "a.yaml:5:39: definition.graph.nodes[0].type: unknown node type " in found[1]
    assert "(a value containing a secret)" in found[1]


# --- offline validate: references without values ------------------------------------------------


def test_without_required_values_an_unset_reference_stays_as_written_and_is_recorded() -> None:
    interpolator = Interpolator({"COMPANY": "Northwind", "EMPTY": ""}, require_values=False)
    assert interpolator("${env.COMPANY} ${secret.TOKEN} ${env.EMPTY} $${x}") == (
        "Northwind ${secret.TOKEN} ${env.EMPTY} ${x}"
    )
    assert sorted(map(str, interpolator.references)) == [
        "${env.COMPANY}", "${env.EMPTY}", "${secret.TOKEN}"
    ]  # fmt: skip
    assert interpolator.secret_values == set()  # an unset secret has no value to mask


@pytest.mark.parametrize("text", ["${COMPANY}", "${env.1X}", "ok ${env.COMPANY"])
def test_without_required_values_a_malformed_reference_is_still_refused(text: str) -> None:
    with pytest.raises(ScalarValueError):
        Interpolator({}, require_values=False)(text)


def test_the_loader_without_required_values_checks_files_that_reference_unset_variables(
    tmp_path: Path,
) -> None:
    folder = write_tree(
        tmp_path / "wf",
        {"a.yaml": "name: Hi ${env.NOPE}\ndescription: ${secret.KEY}\ndefinition: {}\n"},
    )
    state = load_workflows(folder, env={}, require_values=False)
    assert state.workflows["a"].spec.name == "Hi ${env.NOPE}"
    assert state.references == frozenset({("env", "NOPE"), ("secret", "KEY")})
