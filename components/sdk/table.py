"""Write the light registration table from the installed provider SDKs (`light_table.json`).

The offline plan registers resources without importing the generated SDK classes (see
`mlstack.components.sdk`). What those classes add to a registration is read here, once, from the
classes themselves:

- the type token and the package version the class puts in its options;
- from `_internal_init`'s source (the generated code is regular): which properties are inputs,
  required, wrapped as secrets, constants (Kubernetes `apiVersion` and `kind`) or output-only, and
  the options it merges (`additional_secret_outputs`, `aliases`, `replace_on_changes`);
- from the Args class's getters, through the SDK's own `pulumi._types` functions, the Python to
  wire name of every input property, recursively through nested input types: the same metadata
  `pulumi.runtime.rpc.serialize_property` translates with on the typed path;
- from the resource class's getters, the wire name of every attribute a component may read.

Which classes: every `aws.<module>.<Class>`, `aws_native.<module>.<Class>` and
`k8s.<group>.<version>.<Class>` the components name (found in their source), so a component that
starts using a new class fails `tests/test_sdk_light.py` until the table is written again:

    uv run python -m mlstack.components.sdk.table --write
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
import json
import sys
import textwrap
import typing
from collections import abc
from pathlib import Path
from typing import Any

from mlstack.components.sdk import LIGHT_PACKAGES, TABLE_PATH

COMPONENTS = Path(__file__).resolve().parents[1]
_SEQUENCES = (list, typing.List, typing.Sequence, abc.Sequence)  # noqa: UP006 (what rpc checks)
ROOT_NAMES = {"aws": "pulumi_aws", "aws_native": "pulumi_aws_native", "k8s": "pulumi_kubernetes"}


def used_names() -> list[str]:
    """Dotted SDK names (`pulumi_aws.sagemaker.Endpoint`) the components name, below a package."""
    found: set[str] = set()
    for path in sorted(COMPONENTS.rglob("*.py")):
        if "sdk" in path.relative_to(COMPONENTS).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            chain = _attribute_chain(node)
            if chain and chain[0] in ROOT_NAMES and len(chain) >= 3:
                # The first capitalised name is the class; anything after it is an enum member.
                for index, part in enumerate(chain[1:], start=1):
                    if part[:1].isupper():
                        if index >= 2:
                            found.add(".".join([ROOT_NAMES[chain[0]], *chain[1 : index + 1]]))
                        break
    return sorted(found)


def _attribute_chain(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and parts:
        return [node.id, *reversed(parts)]
    return None


class _Types:
    """Input types reachable from the resources' Args classes, by qualified name."""

    def __init__(self) -> None:
        from pulumi import _types

        self._pulumi_types = _types
        self.table: dict[str, dict[str, Any]] = {}

    def ref(self, typ: Any) -> Any:
        """How `serialize_property` treats a value of this (unwrapped) type: see `light.translate`."""
        if typ is None or typ is Any:
            return None
        typ = self._pulumi_types.unwrap_type(typ)
        if typ is Any:
            return None
        origin = typing.get_origin(typ)
        if typ is list or typ in _SEQUENCES or origin in _SEQUENCES:
            # rpc._get_list_element_type: a bare list has elements of Any.
            args = typing.get_args(typ)
            return ["list", self.ref(args[0]) if len(args) == 1 else None]
        if self._pulumi_types.is_input_type(typ):
            return ["type", self._add(typ)]
        if typ is dict or origin in (dict, typing.Dict, abc.Mapping, typing.Mapping):  # noqa: UP006 (what rpc checks)
            args = typing.get_args(typ)
            if len(args) == 2 and args[0] is str:
                return ["map", self.ref(args[1])]
            return None
        if origin is typing.Union and any(self._pulumi_types.is_input_type(arg) for arg in typing.get_args(typ)):
            # serialize_property picks the member by the value's shape
            # (_types.reduce_discriminated_union); the light path takes scalars only there.
            return ["union"]
        return None

    def _add(self, typ: type) -> str:
        name = f"{typ.__module__}.{typ.__qualname__}"
        if name not in self.table:
            self.table[name] = {}  # placed first: input types can refer to themselves
            self.table[name] = self.fields(typ)
        return name

    def fields(self, typ: type) -> dict[str, Any]:
        names = self._pulumi_types.input_type_py_to_pulumi_names(typ)
        types = self._pulumi_types.input_type_types(typ)
        return {py: [wire, self.ref(types.get(wire))] for py, wire in sorted(names.items())}


def _internal_init(cls: type) -> dict[str, Any]:
    """What the generated `_internal_init` does with each argument, read from its source."""
    source = textwrap.dedent(inspect.getsource(cls._internal_init))  # type: ignore[attr-defined]
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    result: dict[str, Any] = {"props": [], "required": [], "options": {}, "token": None, "args": None}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            _assignment(node.targets[0], node.value, result)
        elif isinstance(node, ast.If) and _is_required_check(node):
            result["required"].append(_required_name(node))
        elif isinstance(node, ast.Call) and _is_super_init(node):
            token = node.args[0]
            if isinstance(token, ast.Constant):
                result["token"] = token.value
            elif isinstance(token, ast.JoinedStr):
                # apiextensions.CustomResource: f"kubernetes:{api_version}:{kind}".
                result["token"] = "".join(
                    str(part.value) if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
                    for part in token.values
                    if isinstance(part, ast.Constant | ast.FormattedValue)
                )
    if result["token"] is None or result["args"] is None:
        raise SystemExit(f"{cls.__module__}.{cls.__qualname__}: _internal_init is not in the generated form")
    return result


def _assignment(target: ast.expr, value: ast.expr, result: dict[str, Any]) -> None:
    if isinstance(target, ast.Name) and target.id == "__props__" and isinstance(value, ast.Call):
        # __props__ = EndpointArgs.__new__(EndpointArgs)
        assert isinstance(value.func, ast.Attribute) and isinstance(value.func.value, ast.Name)
        result["args"] = value.func.value.id
        return
    if (
        isinstance(target, ast.Name)
        and isinstance(value, ast.Call)
        and ast.unparse(value.func) == "pulumi.ResourceOptions"
    ):
        for keyword in value.keywords:
            assert keyword.arg is not None
            result["options"][keyword.arg] = [_option_value(item) for item in _literal_list(keyword.value)]
        return
    if (
        isinstance(target, ast.Subscript)
        and ast.unparse(target.value) == "__props__.__dict__"
        and isinstance(target.slice, ast.Constant)
    ):
        name = str(target.slice.value)
        if isinstance(value, ast.Name) and value.id == name:
            result["props"].append([name, "input"])
        elif isinstance(value, ast.Constant) and value.value is None:
            result["props"].append([name, "output"])
        elif isinstance(value, ast.Constant) and isinstance(value.value, str):
            result["props"].append([name, "constant", value.value])
        elif isinstance(value, ast.IfExp) and ast.unparse(value.orelse) == f"pulumi.Output.secret({name})":
            result["props"].append([name, "secret"])
        else:
            raise SystemExit(f"__props__[{name!r}] = {ast.unparse(value)}: not a form the light path knows")


def _literal_list(node: ast.expr) -> list[ast.expr]:
    if not isinstance(node, ast.List):
        raise SystemExit(f"resource option {ast.unparse(node)} is not a literal list")
    return node.elts


def _option_value(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "pulumi.Alias":
        return {keyword.arg: ast.literal_eval(keyword.value) for keyword in node.keywords}
    raise SystemExit(f"resource option value {ast.unparse(node)} is not a form the light path knows")


def _is_required_check(node: ast.If) -> bool:
    return ast.unparse(node.test).endswith(" is None and (not opts.urn)") and isinstance(node.body[0], ast.Raise)


def _required_name(node: ast.If) -> str:
    assert isinstance(node.test, ast.BoolOp)
    comparison = node.test.values[0]
    assert isinstance(comparison, ast.Compare) and isinstance(comparison.left, ast.Name)
    return comparison.left.id


def _is_super_init(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Attribute) and node.func.attr == "__init__" and "super" in ast.unparse(node.func)


def _resource(cls: type, types: _Types) -> dict[str, Any]:
    from pulumi import _types

    init = _internal_init(cls)
    args_cls = getattr(sys.modules[cls.__module__], init["args"])
    if not _types.is_input_type(args_cls):
        raise SystemExit(f"{cls.__module__}.{cls.__qualname__}: its Args class is not a pulumi input type")
    package = importlib.import_module(cls.__module__.split(".")[0] + "._utilities")
    # The options every generated class merges first (`_utilities.get_resource_opts_defaults()`);
    # apiextensions.CustomResource sets the version only.
    defaults = {"version": package.get_version()}
    if "get_resource_opts_defaults" in inspect.getsource(cls._internal_init):  # type: ignore[attr-defined]
        defaults["plugin_download_url"] = package.get_plugin_download_url()
    for option in init["options"]:
        if option not in {"additional_secret_outputs", "aliases", "replace_on_changes"}:
            raise SystemExit(f"{cls.__qualname__}: resource option {option} is not one the light path knows")
    inputs = types.fields(args_cls)
    props = []
    for prop in init["props"]:
        py = prop[0]
        wire, ref = inputs.get(py, [None, None])
        if wire is None:
            # Output-only properties are not in the Args class; the wire name comes from the getter.
            wire = _getter_names(cls).get(py, py)
        props.append([py, wire, ref, *prop[1:]])
    return {
        "token": init["token"],
        "props": props,
        "required": init["required"],
        "options": init["options"],
        "defaults": defaults,
        "attributes": {py: wire for py, wire in sorted(_getter_names(cls).items()) if py != wire},
    }


def _getter_names(cls: type) -> dict[str, str]:
    from pulumi import _types

    return {py: wire for py, wire, _ in _types._py_properties(cls)}


def build() -> dict[str, Any]:
    types = _Types()
    resources: dict[str, Any] = {}
    enums: dict[str, dict[str, str]] = {}
    typed_dicts: list[str] = []
    for dotted in used_names():
        module_name, _, class_name = dotted.rpartition(".")
        if not module_name.startswith(tuple(f"{package}." for package in LIGHT_PACKAGES)):
            continue
        value = getattr(importlib.import_module(module_name), class_name)
        if isinstance(value, type) and issubclass(value, enum.Enum):
            enums[dotted] = {member.name: member.value for member in value}
        elif class_name.endswith("ArgsDict"):
            typed_dicts.append(dotted)
        else:
            resources[dotted] = _resource(value, types)
    return {
        "about": "Generated by `python -m mlstack.components.sdk.table --write` from the installed SDKs.",
        "resources": resources,
        "enums": enums,
        "typed_dicts": typed_dicts,
        "types": dict(sorted(types.table.items())),
    }


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render(build())
    if argv[1:] == ["--write"]:
        TABLE_PATH.write_text(text)
        print(f"wrote {TABLE_PATH.name}: {len(text) // 1024} KiB")
        return 0
    if argv[1:] == ["--check"]:
        if TABLE_PATH.read_text() != text:
            print(f"{TABLE_PATH.name} is stale: run python -m mlstack.components.sdk.table --write")
            return 1
        return 0
    print("usage: python -m mlstack.components.sdk.table --write | --check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
