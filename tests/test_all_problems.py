"""Every independent problem in one run: a mistake in one place never hides a problem in another.

Each seeded mistake below replaces text on one line of a valid blueprint, so the line every problem
must be reported at is known; combined in any way, each is reported once at its own line, and
nothing else is.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mlstack.blueprints.load import load_for_environment, validate_file
from tests.conftest import REPO, WriteBlueprint, line_of, problems

VALID = """\
blueprint: recsys
team: personalization
owner: ml-platform@example.com
cost_center: CC-4312
region: eu-west-1
environments:
  dev:
    overrides:
      endpoints.ranker.variants.champion.instances: 1
      endpoints.ranker.autoscaling.max: 3
  prod:
    budget_usd_month: 60000
endpoints:
  - name: ranker
    models:
      champion:
        framework: pytorch
        framework_version: "2.6"
        model_data: s3://recsys-artifacts/ranker/v12/model.tar.gz
      challenger:
        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ranker:13
        model_data: s3://recsys-artifacts/ranker/v13/model.tar.gz
    variants:
      - {name: champion, model: champion, instance_type: ml.g5.xlarge, instances: 2, weight: 90}
      - {name: challenger, model: challenger, instance_type: ml.g5.xlarge, instances: 1, weight: 10}
    rollout: {strategy: canary, canary_percent: 10}
    autoscaling: {min: 1, max: 4, target_invocations_per_instance: 100}
    data_capture: {sample_percent: 20}
  - name: fraud
    models:
      main:
        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud:3
        model_data: s3://recsys-artifacts/fraud/v3/model.tar.gz
    variants:
      - {name: main, model: main, instance_type: ml.c6i.xlarge, instances: 1}
feature_store:
  groups:
    - name: customers
      record_id: customer_id
      event_time: updated_at
      online: {}
      features:
        customer_id: string
        updated_at: fractional
        is_active: integral
monitoring:
  drift:
    - name: ranker-data
      endpoint: ranker
      kind: data-quality
      baseline: s3://recsys-artifacts/baselines/ranker/
      schedule: hourly
"""


@dataclass(frozen=True)
class Seed:
    """A mistake: `old` (unique in VALID) becomes `new`, and one problem containing `expect` is reported on its line."""

    name: str
    old: str
    new: str
    expect: str

    @property
    def line(self) -> int:
        return line_of(VALID, self.old)


SEEDS = (
    Seed(
        "unknown key",
        "instances: 2, weight: 90",
        "instnces: 2, weight: 90",
        "unknown field 'instnces'; did you mean 'instances'?",
    ),
    Seed(
        "variant names a model that does not exist",
        "model: challenger, instance_type",
        "model: challenjer, instance_type",
        "variant names model 'challenjer', which is not in this endpoint's models (challenger, champion)",
    ),
    Seed(
        "canary over SageMaker's limit",
        "canary_percent: 10",
        "canary_percent: 60",
        "canary steps must be 1-50% of a variant's capacity; got 60%",
    ),
    Seed(
        "monitor names an unknown endpoint",
        "      endpoint: ranker\n",
        "      endpoint: rankr\n",
        "endpoint 'rankr' is not one of this blueprint's endpoints (ranker, fraud); did you mean 'ranker'?",
    ),
    Seed(
        "override path names no item",
        "variants.champion.instances: 1",
        "variants.champ.instances: 1",
        "endpoints.ranker.variants has no item named 'champ' (items: champion, challenger)",
    ),
    Seed(
        "override value is invalid",
        "autoscaling.max: 3",
        "autoscaling.max: 0",
        "input should be greater than or equal to 1 (got 0) (in environment dev)",
    ),
    Seed(
        "feature type that does not exist",
        "is_active: integral",
        "is_active: boolean",
        "SageMaker Feature Store has no boolean type",
    ),
    Seed(
        "invalid value in another endpoint",
        "ml.c6i.xlarge, instances: 1}",
        "ml.c6i.xlarge, instances: two}",
        "unable to parse string as an integer (got 'two')",
    ),
)


def _write(directory: str, text: str) -> Path:
    path = Path(directory) / "bp.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _seeded(seeds: list[Seed]) -> str:
    text = VALID
    for seed in seeds:
        assert text.count(seed.old) == 1, seed.name
        text = text.replace(seed.old, seed.new)
    return text


def test_the_unseeded_blueprint_is_valid(write_blueprint: WriteBlueprint) -> None:
    blueprint, warnings = validate_file(write_blueprint(VALID))
    assert [e.name for e in blueprint.endpoints] == ["ranker", "fraud"] and warnings == []


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.sampled_from(SEEDS), min_size=1, unique=True))
def test_any_combination_of_independent_mistakes_is_reported_in_full(seeds: list[Seed]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        found = problems(_write(directory, _seeded(seeds)))
    assert len(found) == len(seeds), found
    for seed in seeds:
        at_line = [p for p in found if p.startswith(f"bp.yaml:{seed.line}:")]
        assert len(at_line) == 1 and seed.expect in at_line[0], (seed.name, found)


def test_unknown_key_dangling_reference_and_bad_override_path_each_at_its_line(
    write_blueprint: WriteBlueprint,
) -> None:
    # The typo and the dangling reference are in the same endpoint: the typo used to hide it.
    text = _seeded([SEEDS[0], SEEDS[1], SEEDS[4]])
    assert problems(write_blueprint(text)) == [
        "bp.yaml:9:7: environments.dev.overrides: override path 'endpoints.ranker.variants.champ.instances': "
        "endpoints.ranker.variants has no item named 'champ' (items: champion, challenger)",
        "bp.yaml:24:72: endpoints.ranker.variants.champion.instnces: unknown field 'instnces'; "
        "did you mean 'instances'?",
        "bp.yaml:25:28: endpoints.ranker.variants.challenger.model: variant names model 'challenjer', which is not "
        "in this endpoint's models (challenger, champion)",
    ]


def test_monitor_naming_an_unknown_endpoint_is_reported_beside_a_schema_error(
    write_blueprint: WriteBlueprint,
) -> None:
    # The endpoint that does not validate is still known by name: the monitor's list and hint include it.
    text = _seeded([SEEDS[3], SEEDS[7]]).replace("      endpoint: rankr\n", "      endpoint: frod\n")
    found = problems(write_blueprint(text))
    assert found[1] == (
        f"bp.yaml:{line_of(text, 'endpoint: frod')}:7: monitoring.drift.ranker-data.endpoint: endpoint 'frod' is "
        "not one of this blueprint's endpoints (ranker, fraud); did you mean 'fraud'?"
    )
    assert len(found) == 2 and "got 'two'" in found[0]


def test_a_monitor_on_an_endpoint_that_does_not_validate_is_not_judged(write_blueprint: WriteBlueprint) -> None:
    # Whether the endpoint captures data is unknown: only the endpoint's own problem is reported.
    text = VALID.replace("    data_capture: {sample_percent: 20}\n", "    data_capture: {sample_percent: 0}\n")
    assert problems(write_blueprint(text)) == [
        f"bp.yaml:{line_of(text, 'data_capture:')}:20: endpoints.ranker.data_capture.sample_percent: input should "
        "be greater than or equal to 1 (got 0)"
    ]


def test_the_issue_example_typo_canary_and_zero_instance_override(write_blueprint: WriteBlueprint) -> None:
    text = (
        _seeded([SEEDS[2]])
        .replace("    autoscaling: {", "    autoscalling: {")
        .replace("variants.champion.instances: 1", "variants.champion.instances: 0")
    )
    assert problems(write_blueprint(text)) == [
        "bp.yaml:9:7: endpoints.ranker.variants.champion.instances: input should be greater than or equal to 1 "
        "(got 0) (in environment dev)",
        "bp.yaml:26:33: endpoints.ranker.rollout.canary_percent: canary steps must be 1-50% of a variant's "
        "capacity; got 60%",
        "bp.yaml:27:5: endpoints.ranker.autoscalling: unknown field 'autoscalling'; did you mean 'autoscaling'?",
    ]


def test_the_issue_example_through_the_cli(write_blueprint: WriteBlueprint) -> None:
    text = (
        _seeded([SEEDS[2]])
        .replace("    autoscaling: {", "    autoscalling: {")
        .replace("variants.champion.instances: 1", "variants.champion.instances: 0")
    )
    path = write_blueprint(text)
    result = subprocess.run(
        [sys.executable, "-m", "mlstack", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == [f"{path}:9:7", f"{path}:26:33", f"{path}:27:5"]
    assert lines[-1] == "3 problems found"


def test_override_into_a_misspelt_field_is_not_told_to_use_the_misspelling(write_blueprint: WriteBlueprint) -> None:
    text = VALID.replace("    autoscaling: {", "    autoscalling: {")
    # `endpoints.ranker.autoscaling.max` (line 10) is right: the typo is in the base, reported at its line.
    assert problems(write_blueprint(text)) == [
        f"bp.yaml:{line_of(text, 'autoscalling')}:5: endpoints.ranker.autoscalling: unknown field 'autoscalling'; "
        "did you mean 'autoscaling'?"
    ]


def test_override_naming_the_misspelling_is_told_the_schemas_spelling(write_blueprint: WriteBlueprint) -> None:
    text = VALID.replace("    autoscaling: {", "    autoscalling: {").replace(
        "endpoints.ranker.autoscaling.max", "endpoints.ranker.autoscalling.max"
    )
    assert problems(write_blueprint(text)) == [
        "bp.yaml:10:7: environments.dev.overrides: override path 'endpoints.ranker.autoscalling.max': "
        "endpoints.ranker has no 'autoscalling'; did you mean 'autoscaling'?",
        "bp.yaml:27:5: endpoints.ranker.autoscalling: unknown field 'autoscalling'; did you mean 'autoscaling'?",
    ]


def test_override_into_a_field_the_base_does_not_set(write_blueprint: WriteBlueprint) -> None:
    text = VALID.replace("    autoscaling: {min: 1, max: 4, target_invocations_per_instance: 100}\n", "")
    assert problems(write_blueprint(text)) == [
        "bp.yaml:10:7: environments.dev.overrides: override path 'endpoints.ranker.autoscaling.max': "
        "endpoints.ranker has no 'autoscaling', and only the last part of an override path may be new: "
        "override 'endpoints.ranker.autoscaling' as a whole"
    ]
    whole = text.replace(
        "      endpoints.ranker.autoscaling.max: 3\n",
        "      endpoints.ranker.autoscaling: {min: 1, max: 3, target_invocations_per_instance: 100}\n",
    )
    scaling = load_for_environment(write_blueprint(whole), "dev").blueprint.endpoints[0].autoscaling
    assert scaling is not None and scaling.max == 3


def test_override_of_a_field_that_does_not_exist_lists_the_fields(write_blueprint: WriteBlueprint) -> None:
    text = VALID.replace("endpoints.ranker.autoscaling.max", "endpoints.ranker.zzz")
    [problem] = problems(write_blueprint(text))
    assert problem.startswith(
        "bp.yaml:10:7: environments.dev.overrides: override path 'endpoints.ranker.zzz': endpoints.ranker has no "
        "'zzz'; allowed: name, models, variants, shadow,"
    )


def test_overrides_are_checked_when_the_base_is_invalid(write_blueprint: WriteBlueprint) -> None:
    text = _seeded([SEEDS[5]]).replace("region: eu-west-1", "region: Europe")
    found = problems(write_blueprint(text))
    assert [p.split(": ")[0] for p in found] == ["bp.yaml:5:1", "bp.yaml:10:7"]
    assert "(got 0) (in environment dev)" in found[1]


def test_dedented_environment_field_is_pointed_out(write_blueprint: WriteBlueprint) -> None:
    text = VALID.replace(
        "  prod:\n    budget_usd_month: 60000\n",
        "  prod:\n    budget_usd_month: 60000\n  network:\n    vpc_id: vpc-0a1b2c3d4e5f60718\n",
    )
    found = problems(write_blueprint(text))
    assert (
        f"bp.yaml:{line_of(text, '  network:')}:3: environments.network: environment 'network' has the name of an "
        "environment field; is it meant to be indented under an environment (dev, prod)?"
    ) in found
    assert f"bp.yaml:{line_of(text, 'vpc_id')}:5: environments.network.vpc_id: unknown field 'vpc_id'" in "\n".join(
        found
    )


def test_environment_named_like_a_field_with_valid_settings_is_a_warning(write_blueprint: WriteBlueprint) -> None:
    text = VALID.replace("  prod:\n", "  cluster:\n    budget_usd_month: 10\n  prod:\n")
    _, warnings = validate_file(write_blueprint(text))
    assert [str(w).split(": ", 1)[1] for w in warnings] == [
        "environments.cluster: warning: environment 'cluster' has the name of an environment field; is it meant to "
        "be indented under an environment (dev, prod)?"
    ]


def test_boolean_feature_type_names_the_api_and_the_way_out(write_blueprint: WriteBlueprint) -> None:
    text = VALID.replace("is_active: integral", "is_active: bool")
    assert problems(write_blueprint(text)) == [
        f"bp.yaml:{line_of(text, 'is_active')}:9: feature_store.groups.customers.features.is_active: feature type "
        "'bool': SageMaker Feature Store has no boolean type (FeatureType is Integral, Fractional or String: "
        "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_FeatureDefinition.html); use integral and "
        "store 0 or 1"
    ]


def test_monitor_on_serverless_endpoint_names_the_kubernetes_section(write_blueprint: WriteBlueprint) -> None:
    text = VALID.replace(
        "    variants:\n      - {name: main, model: main, instance_type: ml.c6i.xlarge, instances: 1}\n",
        "    serverless: {memory_mb: 2048, max_concurrency: 5}\n",
    ).replace("      endpoint: ranker\n", "      endpoint: fraud\n")
    [problem] = problems(write_blueprint(text))
    assert problem.endswith("use a scheduled drift job on Kubernetes instead (`kubernetes.drift`)")


def test_problems_are_sorted_by_line_and_unique(write_blueprint: WriteBlueprint) -> None:
    found = problems(write_blueprint(_seeded(list(SEEDS))))
    lines = [int(p.split(":")[1]) for p in found]
    assert lines == sorted(lines) and len(set(found)) == len(found) == len(SEEDS)
