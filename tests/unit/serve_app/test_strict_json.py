"""JSON bodies as the API takes them: finite numbers, bounded nesting, else malformed."""

import json

import pytest

from serve_app.strict_json import MAX_DEPTH, loads


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e999", '{"at": -1e400}'])
def test_non_finite_numbers_are_malformed_json(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        loads(text)


def test_nesting_past_the_limit_is_malformed_json_not_a_recursion_error() -> None:
    with pytest.raises(json.JSONDecodeError, match="nested deeper"):
        loads("[" * 100_000 + "]" * 100_000)
    deep_enough = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert loads(deep_enough) is not None


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"note": "[" * 500 + '\\"{' * 100})
    assert loads(text.encode()) == json.loads(text)


def test_ordinary_json_parses_as_usual() -> None:
    assert loads(b'{"a": [1, 2.5, "x"], "b": null}') == {"a": [1, 2.5, "x"], "b": None}


def test_one_level_past_the_limit_is_refused_and_many_shallow_brackets_are_not() -> None:
    with pytest.raises(json.JSONDecodeError, match="nested deeper"):
        loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    siblings = json.dumps([{"sku": "TEA", "tags": []} for _ in range(MAX_DEPTH * 4)])
    assert loads(siblings) == json.loads(siblings)
