"""The offline plan's light registration path: SDK resources without the generated classes.

A light class registers exactly what its typed class would (`mlstack.components.sdk.table` reads
that from the typed class): the token, every property under its wire name, secrets wrapped, the
constants, and the default and merged resource options. Nested inputs are translated as
`pulumi.runtime.rpc.serialize_property` translates them with the typed Args metadata, so the engine
(and the offline plan's monitor) receives the same RegisterResource request.

What a light resource cannot do, it refuses rather than guesses: reading an existing resource
(`opts.id`), an Args object in place of keywords, a union of input types.
"""

from __future__ import annotations

import enum
import inspect
import json
import threading
from collections import abc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any

import pulumi

from mlstack.components.sdk import TABLE_PATH, _Namespace

_state = threading.local()
_SCALARS = (str, range, memoryview, bytes, bytearray)


def active() -> bool:
    return getattr(_state, "light", False)


@contextmanager
def registering_light(enabled: bool = True) -> Iterator[None]:
    """Within this block (one thread: the program's), SDK names resolve to light classes."""
    previous = active()
    _state.light = enabled
    try:
        yield
    finally:
        _state.light = previous


@cache
def _table() -> dict[str, Any]:
    table: dict[str, Any] = json.loads(TABLE_PATH.read_text())
    return table


@cache
def _namespaces() -> frozenset[str]:
    table = _table()
    names = [*table["resources"], *table["enums"], *table["typed_dicts"]]
    return frozenset(".".join(name.split(".")[:depth]) for name in names for depth in range(2, name.count(".") + 1))


@cache
def lookup(dotted: str) -> Any:
    """The light stand-in for an SDK name, or None where the typed one is used."""
    table = _table()
    if dotted in table["resources"]:
        return _resource_class(dotted, table["resources"][dotted])
    if dotted in table["enums"]:
        # Generated enums are `str, Enum`: the wire carries the value either way.
        return enum.Enum(dotted.rpartition(".")[2], table["enums"][dotted], type=str)
    if dotted in table["typed_dicts"]:
        return dict
    if dotted in _namespaces():
        return _Namespace(dotted)
    return None


@cache
def _inputs_by_token() -> dict[str, frozenset[str]]:
    return {
        entry["token"]: frozenset(py for py, _, _, kind, *_ in entry["props"] if kind in ("input", "secret"))
        for entry in _table()["resources"].values()
        if "{" not in entry["token"]
    }


def input_names(token: str) -> frozenset[str] | None:
    """The Python names of the inputs the SDK class of `token` takes, if the table has that class."""
    return _inputs_by_token().get(token)


class _InputType:
    """One generated input type: Python name -> wire name, wire name -> the type of its value."""

    def __init__(self, fields: Mapping[str, list[Any]]) -> None:
        self.wire_names = {py: wire for py, (wire, _) in fields.items()}
        self.refs = {wire: ref for wire, ref in fields.values()}


@cache
def _input_type(name: str) -> _InputType:
    return _InputType(_table()["types"][name])


def _trivial(ref: Any) -> bool:
    """True when no value of this type can have a key translated."""
    return ref is None or (ref[0] in ("list", "map") and _trivial(ref[1]))


def translate(value: Any, ref: Any) -> Any:
    """A value with its keys translated as `serialize_property(value, typ=...)` translates them.

    `ref` is the table's form of the unwrapped type: None (nothing translated below), `["list", r]`,
    `["map", r]` (keys kept, values of type r), `["type", name]` (an input type's names) or
    `["union"]` (a union with an input type, which only scalars pass through unchanged).
    """
    if value is None or _trivial(ref):
        return value
    if isinstance(value, pulumi.Output):
        # The typed path awaits the output and translates its value; apply keeps its resources,
        # secrecy and unknown-ness, so the serialized result is the same.
        return value.apply(lambda resolved: translate(resolved, ref))
    if inspect.isawaitable(value):
        raise TypeError("the light registration path does not translate awaitables; pass an Output")
    if ref[0] == "union" and isinstance(value, abc.Sequence | abc.Mapping) and not isinstance(value, _SCALARS):
        raise TypeError("the light registration path does not reduce a union of input types; pass JSON text")
    if isinstance(value, abc.Sequence) and not isinstance(value, _SCALARS):
        if ref[0] != "list":
            raise AssertionError(f"Unexpected type. Expected 'list' got '{ref}'")  # as rpc raises
        return [translate(item, ref[1]) for item in value]
    if isinstance(value, abc.Mapping):
        if ref[0] == "type":
            input_type = _input_type(ref[1])
            translated: dict[str, Any] = {}
            for key in value:
                wire = input_type.wire_names.get(key) or key
                translated[wire] = translate(value[key], input_type.refs.get(wire))
            return translated
        if ref[0] == "map":
            return {key: translate(value[key], ref[1]) for key in value}
        return value
    return value


class LightResource(pulumi.CustomResource):
    """Base of the light classes; `_spec` is the class's entry in the table."""

    _spec: dict[str, Any]
    _accepted: frozenset[str]

    def __init__(self, resource_name: str, *positional: Any, opts: pulumi.ResourceOptions | None = None, **kwargs: Any):
        spec = self._spec
        name = type(self).__name__
        if positional:
            raise TypeError(f"{name}: the light registration path takes keyword arguments only")
        unexpected = sorted(set(kwargs) - self._accepted)
        if unexpected:
            raise TypeError(f"{name}.__init__() got an unexpected keyword argument {unexpected[0]!r}")
        opts = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(**spec["defaults"]), opts)
        if opts.id is not None:
            raise TypeError(f"{name}: the light registration path does not read existing resources (opts.id)")
        for required in spec["required"]:
            if kwargs.get(required) is None and not opts.urn:
                raise TypeError(f"Missing required property '{required}'")
        props: dict[str, Any] = {}
        for py, wire, ref, kind, *constant in spec["props"]:
            value = kwargs.get(py)
            if kind == "secret":
                value = None if value is None else pulumi.Output.secret(value)
            elif kind == "constant":
                value = constant[0]
            elif kind == "output":
                value = None
            props[wire] = translate(value, ref)
        for option, values in sorted(spec["options"].items()):
            merged: dict[str, Any] = {
                option: [pulumi.Alias(**alias) for alias in values] if option == "aliases" else values
            }
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(**merged))
        token = spec["token"].format(**kwargs) if "{" in spec["token"] else spec["token"]
        super().__init__(token, resource_name, props, opts)

    def __getattr__(self, name: str) -> Any:
        # Attributes are registered under their wire names; components read the Python ones.
        wire = type(self)._spec["attributes"].get(name)
        if wire is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return self.__dict__[wire]


def _resource_class(dotted: str, spec: dict[str, Any]) -> type[LightResource]:
    accepted = frozenset(py for py, _, _, kind, *_ in spec["props"] if kind in ("input", "secret"))
    namespace = {"_spec": spec, "_accepted": accepted, "__module__": dotted.rpartition(".")[0]}
    return type(dotted.rpartition(".")[2], (LightResource,), namespace)
