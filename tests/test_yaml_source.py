"""The YAML layer: positions, duplicate keys, tags, limits, syntax errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlstack.blueprints.errors import BlueprintInvalid
from mlstack.blueprints.yaml_source import MAX_BLUEPRINT_BYTES, parse_yaml, read_yaml


def problems_of(text: str) -> list[str]:
    with pytest.raises(BlueprintInvalid) as raised:
        parse_yaml(text, "bp.yaml")
    return [str(p) for p in raised.value.problems]


def test_positions_are_recorded_for_keys_and_list_items() -> None:
    document = parse_yaml("a:\n  b: 1\n  c:\n    - x\n    - {name: y}\n", "bp.yaml")
    assert document.data == {"a": {"b": 1, "c": ["x", {"name": "y"}]}}
    assert document.position(("a", "b")) == (2, 3)
    assert document.position(("a", "c", 1)) == (5, 7)
    assert document.position(("a", "c", 1, "name")) == (5, 8)
    # A path that is not in the file falls back to its nearest ancestor.
    assert document.position(("a", "c", 1, "missing")) == (5, 7)


def test_duplicate_key_is_an_error_naming_both_lines() -> None:
    assert problems_of("team: a\nregion: x\nteam: b\n") == [
        "bp.yaml:3:1: team: duplicate key 'team' (first defined on line 1)"
    ]


def test_custom_tags_are_refused_not_constructed() -> None:
    assert problems_of("team: !!python/object:os.system echo\n") == [
        "bp.yaml:1:7: team: custom YAML tag 'tag:yaml.org,2002:python/object:os.system' is not allowed"
    ]
    assert problems_of("team: !vault secret\n") == ["bp.yaml:1:7: team: custom YAML tag '!vault' is not allowed"]


def test_syntax_error_has_its_line() -> None:
    [problem] = problems_of("team: a\nendpoints:\n  - name: x\n   bad: [\n")
    assert problem.startswith("bp.yaml:4:")
    assert "YAML syntax error" in problem


def test_merge_keys_are_refused() -> None:
    [problem] = problems_of("base: &b {x: 1}\nother:\n  <<: *b\n")
    assert problem == "bp.yaml:3:3: other: YAML merge keys ('<<') are not supported; write the fields out"


def test_alias_bomb_is_stopped() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 8):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 10)}]")
    [problem] = problems_of("\n".join(lines) + "\n")
    assert "document expands to more than" in problem


def test_top_level_must_be_a_mapping() -> None:
    assert problems_of("- a\n- b\n") == ["bp.yaml:1:1: <root>: a blueprint must be a YAML mapping at the top level"]
    assert problems_of("") == ["bp.yaml:1:1: <root>: the file is empty; a blueprint is a mapping"]


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("team: " + "x" * MAX_BLUEPRINT_BYTES + "\n")
    with pytest.raises(BlueprintInvalid) as raised:
        read_yaml(path)
    assert "blueprints are limited to 1048576 bytes" in str(raised.value)


def test_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(BlueprintInvalid) as raised:
        read_yaml(tmp_path / "nope.yaml")
    assert "cannot read file: No such file or directory" in str(raised.value)
