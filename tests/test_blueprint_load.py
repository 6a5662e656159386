"""Blueprint validation: every problem at once, each with its file, line and path."""

from __future__ import annotations

from mlstack.blueprints.load import load, load_for_environment
from tests.conftest import BASE, WriteBlueprint, problems


def test_base_blueprint_is_valid(write_blueprint: WriteBlueprint) -> None:
    blueprint = load(write_blueprint(BASE))
    assert [e.name for e in blueprint.endpoints] == ["ranker"]
    assert blueprint.endpoints[0].variants[0].instances == 2


def test_unknown_key_suggests_the_close_one(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE.replace("instances: 2, weight: 90", "instnces: 2, weight: 90"))
    assert problems(path) == [
        "bp.yaml:26:72: endpoints.ranker.variants.champion.instnces: unknown field 'instnces'; "
        "did you mean 'instances'?"
    ]


def test_unknown_top_level_key_lists_nothing_when_nothing_is_close(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE + "zzz: 1\n")
    [problem] = problems(path)
    assert problem.startswith("bp.yaml:28:1: zzz: unknown field 'zzz'; allowed: blueprint, team, owner")


def test_dangling_model_reference(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE.replace("model: challenger,", "model: challenjer,"))
    assert problems(path) == [
        "bp.yaml:27:28: endpoints.ranker.variants.challenger.model: variant names model 'challenjer', "
        "which is not in this endpoint's models (challenger, champion)"
    ]


def test_duplicate_variant_names(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE.replace("{name: challenger, model: challenger", "{name: champion, model: challenger"))
    assert "bp.yaml:27:10: endpoints.ranker.variants.champion.name: duplicate variant name 'champion'" in problems(path)


def test_duplicate_endpoint_names(write_blueprint: WriteBlueprint) -> None:
    endpoint = BASE[BASE.index("  - name: ranker") :]
    path = write_blueprint(BASE + endpoint)
    assert "bp.yaml:28:5: endpoints.ranker.name: duplicate endpoint name 'ranker'" in problems(path)


def test_weights_cannot_be_negative(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE.replace("weight: 10}", "weight: -5}"))
    assert problems(path) == [
        "bp.yaml:27:91: endpoints.ranker.variants.challenger.weight: weight cannot be negative, got -5"
    ]


def test_a_weight_of_zero_keeps_a_variant_without_traffic(write_blueprint: WriteBlueprint) -> None:
    load(write_blueprint(BASE.replace("weight: 10}", "weight: 0}")))
    none_served = write_blueprint(BASE.replace("weight: 10}", "weight: 0}").replace("weight: 90}", "weight: 0}"))
    assert [p.split(": ", 1)[1] for p in problems(none_served)] == [
        "endpoints.ranker.variants: every variant has weight 0: at least one needs a positive weight to serve requests"
    ]


def test_wrong_type_and_unquoted_version(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(
        BASE.replace('framework_version: "2.6"', "framework_version: 2.6").replace("instances: 2,", "instances: two,")
    )
    assert problems(path) == [
        "bp.yaml:20:9: endpoints.ranker.models.champion.framework_version: expected a string, got the number 2.6; "
        'quote it: "2.6"',
        "bp.yaml:26:72: endpoints.ranker.variants.champion.instances: input should be a valid integer, "
        "unable to parse string as an integer (got 'two')",
    ]


def test_unknown_instance_type_suggests_valid_ones(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE.replace("ml.c6i.xlarge", "ml.c6i.xlarg"))
    [problem] = problems(path)
    assert problem.startswith(
        "bp.yaml:27:47: endpoints.ranker.variants.challenger.instance_type: unknown instance type"
    )
    assert "ml.c6i.xlarge" in problem


def test_unknown_framework_version_lists_supported(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE.replace('framework_version: "2.6"', 'framework_version: "0.9"'))
    [problem] = problems(path)
    assert problem.startswith("bp.yaml:20:9: endpoints.ranker.models.champion.framework_version: ")
    assert "2.6" in problem


def test_model_needs_exactly_one_source(write_blueprint: WriteBlueprint) -> None:
    both = BASE.replace(
        "        image: 123456789012",
        '        framework: pytorch\n        framework_version: "2.6"\n        image: 123456789012',
    )
    assert problems(write_blueprint(both)) == [
        "bp.yaml:22:7: endpoints.ranker.models.challenger: a model takes exactly one of framework, image or "
        "container; got framework and image"
    ]


def test_missing_required_field_points_at_its_parent(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE.replace("team: personalization\n", ""))
    assert problems(path) == ["bp.yaml:1:1: team: required field 'team' is missing"]


def test_override_is_applied_by_name(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE)
    dev = load_for_environment(path, "dev").blueprint
    prod = load_for_environment(path, "prod").blueprint
    assert dev.endpoints[0].variants[0].instances == 1
    assert prod.endpoints[0].variants[0].instances == 2
    assert dev.endpoints[0].variants[1].instances == 1


def test_override_to_missing_item_is_an_error_with_its_line(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE.replace("variants.champion.instances", "variants.champ.instances"))
    assert problems(path) == [
        "bp.yaml:9:7: environments.dev.overrides: override path 'endpoints.ranker.variants.champ.instances': "
        "endpoints.ranker.variants has no item named 'champ' (items: champion, challenger)"
    ]


def test_override_to_missing_key_suggests(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(
        BASE.replace("endpoints.ranker.variants.champion.instances", "endpoints.ranker.variantz.champion.instances")
    )
    assert problems(path) == [
        "bp.yaml:9:7: environments.dev.overrides: override path 'endpoints.ranker.variantz.champion.instances': "
        "endpoints.ranker has no 'variantz'; did you mean 'variants'?"
    ]


def test_overridden_value_is_validated_again_at_the_override_line(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE.replace("champion.instances: 1", "champion.instances: 0"))
    assert problems(path, "dev") == [
        "bp.yaml:9:7: endpoints.ranker.variants.champion.instances: input should be greater than or equal to 1 "
        "(got 0) (in environment dev)"
    ]


def test_override_cannot_change_the_blueprint_id(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE.replace("endpoints.ranker.variants.champion.instances: 1", "blueprint: other"))
    assert problems(path) == [
        "bp.yaml:9:7: environments.dev.overrides: override path 'blueprint': 'blueprint' cannot be overridden "
        "per environment"
    ]


def test_typo_dangling_reference_and_bad_override_are_reported_together(write_blueprint: WriteBlueprint) -> None:
    text = (
        BASE.replace("cost_center: CC-4312", "cost_centre: CC-4312")
        .replace("model: challenger,", "model: challenjer,")
        .replace("variants.champion.instances", "variants.champ.instances")
    )
    found = problems(write_blueprint(text))
    assert [p.split(": ")[0] for p in found] == ["bp.yaml:1:1", "bp.yaml:4:1", "bp.yaml:9:7", "bp.yaml:27:28"]
    assert "unknown field 'cost_centre'; did you mean 'cost_center'?" in found[1]
    assert "required field 'cost_center' is missing" in found[0]
    assert "no item named 'champ'" in found[2]
    assert "variant names model 'challenjer'" in found[3]


def test_unknown_environment(write_blueprint: WriteBlueprint) -> None:
    assert problems(write_blueprint(BASE), "qa") == [
        "bp.yaml:6:1: environments: no environment 'qa'; this blueprint has: dev, prod"
    ]


def test_endpoint_name_too_long_for_sagemaker(write_blueprint: WriteBlueprint) -> None:
    long_name = "r" * 40
    text = BASE.replace("blueprint: recsys", "blueprint: recommendation-sys").replace(
        "- name: ranker", f"- name: {long_name}"
    )
    path = write_blueprint(text.replace("endpoints.ranker.", f"endpoints.{long_name}."))
    assert problems(path) == [
        f"bp.yaml:16:5: endpoints.{long_name}.name: SageMaker endpoint name 'recommendation-sys-prod-{long_name}' "
        "has 64 characters; SageMaker endpoint names have at most 63 (botocore sagemaker EndpointName), in "
        "environment prod: shorten the endpoint name to at most 39 characters"
    ]


def test_recursive_alias_is_a_problem_not_a_crash(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE + "registry: &loop {model_groups: [*loop]}\n")
    assert problems(path) == [
        "bp.yaml:28:11: registry.model_groups[0]: this alias refers to a value that contains it; YAML values "
        "cannot contain themselves"
    ]


def test_deep_nesting_is_a_problem_not_a_crash(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE + "zzz: " + "[" * 2000 + "]" * 2000 + "\n")
    assert problems(path) == ["bp.yaml:28:1: <root>: values nest more than 100 levels deep"]


def test_override_into_an_item_without_a_name_is_left_to_the_schema(write_blueprint: WriteBlueprint) -> None:
    # The override may well name the variant whose name is missing: only that is reported.
    path = write_blueprint(BASE.replace("{name: champion, model: champion", "{model: champion"))
    assert problems(path) == ["bp.yaml:26:9: endpoints.ranker.variants[0].name: required field 'name' is missing"]


def test_override_through_a_value_of_the_wrong_shape_is_left_to_the_schema(write_blueprint: WriteBlueprint) -> None:
    text = BASE.replace(
        "    variants:\n      - {name: champion", "    variants: {}\n    zvariants:\n      - {name: champion"
    )
    found = problems(write_blueprint(text))
    assert [p for p in found if "overrides" in p] == []
    assert "bp.yaml:25:5: endpoints.ranker.variants: input should be a valid list" in found
