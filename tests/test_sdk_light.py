"""The offline plan's light registration path sends what the typed SDK classes send.

Every example blueprint in every environment (and the reference blueprint) is planned twice, through
the generated pulumi-aws / aws-native / kubernetes classes and through `mlstack.components.sdk.light`,
and the RegisterResource requests the engine receives are compared byte for byte: token, name,
parent, inputs, dependencies, property dependencies, every resource option, version. Only where the
SDK captured the request in the program's source differs (`sourcePosition`, `stackTrace`), because
the two paths call from different lines.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
from google.protobuf import json_format  # type: ignore[import-untyped]

from mlstack.blueprints.load import load_for_environment
from mlstack.components.sdk import TABLE_PATH, aws, light
from mlstack.components.sdk import table as light_table
from mlstack.stack import program
from mlstack.stack.plan import PROJECT, stack_name
from mlstack.stack.plan.engine import SDK_SWITCH, _CapturingMonitor, run_offline

ROOT = Path(__file__).resolve().parents[1]
BLUEPRINTS = [*sorted((ROOT / "blueprints" / "examples").glob("*.yaml")), ROOT / "tests" / "data" / "reference.yaml"]
# Where the request records the program's call site, which differs between the two paths by design.
CALL_SITE_FIELDS = ("sourcePosition", "stackTrace")


def _environments(path: Path) -> list[str]:
    import yaml

    return sorted(yaml.safe_load(path.read_text())["environments"])


CASES = [pytest.param(path, env, id=f"{path.stem}-{env}") for path in BLUEPRINTS for env in _environments(path)]


class _RecordingMonitor(_CapturingMonitor):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.requests: list[str] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        copy = type(request)()
        copy.CopyFrom(request)
        for field in CALL_SITE_FIELDS:
            copy.ClearField(field)
        with self._lock:
            # The message's JSON form, keys sorted: equal exactly when the requests are, and readable
            # when they are not. Dependencies are sets the SDK sends in its sets' iteration order.
            message = json_format.MessageToDict(copy)
            message["dependencies"] = sorted(message.get("dependencies", []))
            for dependencies in message.get("propertyDependencies", {}).values():
                dependencies["urns"] = sorted(dependencies.get("urns", []))
            self.requests.append(json.dumps(message, sort_keys=True))
        return super().RegisterResource(request)


def _requests(path: Path, environment: str, sdk: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv(SDK_SWITCH, sdk)
    resolved = load_for_environment(path, environment)
    monitors: list[_RecordingMonitor] = []

    def recording(*args: Any) -> _RecordingMonitor:
        monitors.append(_RecordingMonitor(*args))
        return monitors[-1]

    run_offline(
        lambda: program.build_platform(resolved, program.SourceMap()),
        project=PROJECT,
        stack=stack_name(resolved),
        region=resolved.blueprint.region,
        monitor_class=recording,  # type: ignore[arg-type]
    )
    # Registration order depends on thread scheduling; the set of requests does not.
    return sorted(monitors[0].requests)


@pytest.mark.parametrize(("path", "environment"), CASES)
def test_light_registrations_are_the_typed_ones(path: Path, environment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    typed = _requests(path, environment, "typed", monkeypatch)
    lite = _requests(path, environment, "light", monkeypatch)
    assert len(typed) > 10
    assert lite == typed


def test_every_example_environment_is_compared() -> None:
    assert len(CASES) >= 35


def test_the_table_is_what_the_installed_sdks_say() -> None:
    committed = json.loads(TABLE_PATH.read_text())
    assert light_table.render(light_table.build()) == TABLE_PATH.read_text(), (
        "run: uv run python -m mlstack.components.sdk.table --write"
    )
    assert len(committed["resources"]) >= 40


def test_the_offline_plan_imports_no_generated_service_package() -> None:
    # The SDKs register every service package as a lazy module up front; a package runs (and
    # imports its generated classes) only when an attribute is read.
    code = (
        "import sys, io, contextlib\n"
        "from mlstack.stack.cli.app import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        app(['plan', 'blueprints/examples/kubernetes-gnn.yaml', '--env', 'prod', '--json'])\n"
        "    except SystemExit as done:\n"
        "        assert not done.code, done.code\n"
        "for name, module in sorted(sys.modules.items()):\n"
        "    if name.startswith('pulumi_') and type(module).__name__ == 'module':\n"
        "        print(name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.split()
    assert "pulumi_aws.provider" in loaded and "pulumi_kubernetes.provider" in loaded
    # Top-level modules only (providers, data sources, the packages' shared types).
    assert [name for name in loaded if name.count(".") > 1 or name.endswith((".sagemaker", ".core", ".s3"))] == []


def test_typed_names_resolve_to_the_sdk_outside_the_offline_plan() -> None:
    assert not light.active()
    assert aws.sagemaker.EndpointConfiguration is importlib.import_module("pulumi_aws.sagemaker").EndpointConfiguration
    with light.registering_light():
        light_class = aws.sagemaker.EndpointConfiguration
        assert light_class is not importlib.import_module("pulumi_aws.sagemaker").EndpointConfiguration
        assert issubclass(light_class, pulumi.CustomResource)


def test_light_classes_refuse_what_typed_ones_refuse() -> None:
    with light.registering_light():
        with pytest.raises(TypeError, match="unexpected keyword argument 'variants'"):
            aws.sagemaker.EndpointConfiguration("e", variants=[])  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="Missing required property 'production_variants'"):
            aws.sagemaker.EndpointConfiguration("e")
        with pytest.raises(TypeError, match="keyword arguments only"):
            aws.sagemaker.EndpointConfiguration("e", {"production_variants": []})  # type: ignore[call-overload]


def test_translation_follows_the_input_types() -> None:
    variant = ["type", "pulumi_aws.sagemaker._inputs.EndpointConfigurationProductionVariantArgs"]
    translated = light.translate(
        [{"variant_name": "a", "initialInstanceCount": 1, "serverless_config": {"max_concurrency": 5}}],
        ["list", variant],
    )
    assert translated == [{"variantName": "a", "initialInstanceCount": 1, "serverlessConfig": {"maxConcurrency": 5}}]
    # Keys of a map (tags, environment variables) are the user's own, never translated.
    assert light.translate({"cost_center": "x"}, ["map", None]) == {"cost_center": "x"}
    with pytest.raises(AssertionError, match="Expected 'list'"):
        light.translate([{"variant_name": "a"}], variant)


def test_taggable_from_the_table_is_taggable_from_the_sdk() -> None:
    import inspect

    table = json.loads(TABLE_PATH.read_text())
    checked = 0
    for dotted, entry in table["resources"].items():
        if "{" in entry["token"]:
            continue
        module_name, _, class_name = dotted.rpartition(".")
        cls = getattr(importlib.import_module(module_name), class_name)
        from_sdk = "tags" in inspect.signature(cls._internal_init).parameters
        names = light.input_names(entry["token"])
        assert names is not None and ("tags" in names) == from_sdk, dotted
        checked += 1
    assert checked >= 40


def test_an_unusable_sdk_switch_is_bad_input_not_a_bug() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mlstack", "plan", "blueprints/examples/pipeline.yaml", "--env", "dev", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, SDK_SWITCH: "fast"},
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == "mlstack: MLSTACK_OFFLINE_SDK: must be light or typed, not 'fast'"
    assert done.stdout == ""
