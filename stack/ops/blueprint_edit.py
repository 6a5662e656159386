"""The blueprint edit that makes a day-2 change permanent, as a unified diff of the user's file.

`pulumi up` resets an endpoint's weights to its configuration's whenever it updates the endpoint
(the component excludes DesiredWeight from the retained variant properties), and moves it back to
the blueprint's configuration after a fallback once a refresh or a change of the endpoint shows
Pulumi the difference. Until the blueprint says what the live endpoint does, `mlstack status`
reports the difference as drift.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


def _format(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return f"{round(value, 4):g}"


def _mapping_value(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _at(node: yaml.Node | None, *keys: str) -> yaml.Node | None:
    for key in keys:
        found = _mapping_value(node, key)
        node = found[1] if found else None
    return node


def _named(node: yaml.Node | None, name: str) -> yaml.Node | None:
    if not isinstance(node, yaml.SequenceNode):
        return None
    items: list[yaml.Node] = node.value
    for item in items:
        found = _mapping_value(item, "name")
        if found and isinstance(found[1], yaml.ScalarNode) and found[1].value == name:
            return item
    return None


def _insertion(text: str, mapping: yaml.MappingNode, field: str, value: str) -> _Edit:
    if mapping.flow_style:
        closing = text.rindex("}", mapping.start_mark.index, mapping.end_mark.index)
        return _Edit(closing, closing, f", {field}: {value}")
    first_key = mapping.value[0][0]
    last_end = mapping.value[-1][1].end_mark.index
    line_end = text.find("\n", last_end)
    at = len(text) if line_end < 0 else line_end + 1
    newline = "" if line_end >= 0 else "\n"
    return _Edit(at, at, f"{newline}{' ' * first_key.start_mark.column}{field}: {value}\n")


def variant_edits(file: Path, environment: str, endpoint: str, changes: Mapping[str, Mapping[str, float | str]]) -> str:
    """A unified diff setting `changes[variant][field]` for `endpoint` where `environment` reads it.

    A value an override of this environment sets is edited in the override; any other in the
    endpoint's own entry, which every environment without an override shares.
    """
    text = file.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    overrides = _at(root, "environments", environment, "overrides")
    variants = _at(_named(_at(root, "endpoints"), endpoint), "variants")
    edits: list[_Edit] = []
    for variant, fields in changes.items():
        variant_node = _named(variants, variant)
        for field, value in fields.items():
            shown = _format(value)
            override = _mapping_value(overrides, f"endpoints.{endpoint}.variants.{variant}.{field}")
            found = override or _mapping_value(variant_node, field)
            if found is not None:
                node = found[1]
                edits.append(_Edit(node.start_mark.index, node.end_mark.index, shown))
            elif isinstance(variant_node, yaml.MappingNode):
                edits.append(_insertion(text, variant_node, field, shown))
    changed = text
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        changed = changed[: edit.start] + edit.text + changed[edit.end :]
    # `git apply` and `patch -p1` take a/ and b/ prefixes on relative paths; an absolute one stands alone.
    old, new = (str(file), str(file)) if file.is_absolute() else (f"a/{file}", f"b/{file}")
    return "".join(
        difflib.unified_diff(text.splitlines(keepends=True), changed.splitlines(keepends=True), old, new, n=1)
    )
