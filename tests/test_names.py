"""Physical names: versioned names stay distinct when cut to fit; IAM role names carry the region."""

from __future__ import annotations

from mlstack.components.naming import (
    IAM_ROLE,
    IAM_ROLE_POLICY,
    execution_role_name,
    feature_store_role_name,
    feedback_firehose_role_name,
    feedback_lambda_role_name,
    platform_prefix,
    region_code,
    role_policy_name,
    tracking_role_name,
)
from mlstack.stack.plan import plan_file
from tests.conftest import WriteBlueprint

MODEL = "aws:sagemaker/model:Model"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"

# Two endpoints whose names differ only in their last character, serving the same model: the model
# names' base (`<blueprint>-<env>-<endpoint>-<model>`, 63 characters) is cut to 54 to fit the digest.
TWIN_ENDPOINTS = """\
blueprint: personalization-emea
team: personalization
owner: ml-platform@example.com
cost_center: CC-4312
region: eu-west-1
environments:
  prod: {}
endpoints:
  - name: homepage-ranker-realtime-euw-a
    models:
      ranker:
        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ranker:12
        model_data: s3://personalization-artifacts/ranker/v12/model.tar.gz
    variants:
      - {name: main, model: ranker, instance_type: ml.c6i.xlarge}
  - name: homepage-ranker-realtime-euw-b
    models:
      ranker:
        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ranker:12
        model_data: s3://personalization-artifacts/ranker/v12/model.tar.gz
    variants:
      - {name: main, model: ranker, instance_type: ml.c6i.xlarge}
"""


def test_truncated_names_of_twin_endpoints_differ(write_blueprint: WriteBlueprint) -> None:
    _, plan = plan_file(write_blueprint(TWIN_ENDPOINTS), "prod")
    names = [
        plan.get(MODEL, f"personalization-emea-prod-homepage-ranker-realtime-euw-{side}-model-ranker").inputs["name"]
        for side in ("a", "b")
    ]
    cut = "personalization-emea-prod-homepage-ranker-realtime-euw-"
    assert all(name.startswith(cut) and len(name) == 63 for name in names), names
    assert names[0] != names[1]
    # Their configurations' bases (the endpoint names, 56 characters) are cut the same way.
    configs = [
        plan.get(CONFIG, f"personalization-emea-prod-homepage-ranker-realtime-euw-{side}-config").inputs["name"]
        for side in ("a", "b")
    ]
    assert all(name.startswith(cut) for name in configs) and configs[0] != configs[1], configs


def _known_regions() -> list[str]:
    import botocore.loaders

    partitions = botocore.loaders.Loader().load_data("partitions")["partitions"]
    # `aws-global` and friends are endpoints, not regions.
    return sorted(r for p in partitions for r in p["regions"] if r[-1].isdigit())


def test_region_codes_are_short_and_distinct_for_every_region_botocore_knows() -> None:
    regions = _known_regions()
    codes = {region: region_code(region) for region in regions}
    assert len(regions) > 40
    assert len(set(codes.values())) == len(regions)
    assert max(len(code) for code in codes.values()) <= 8
    assert [codes[r] for r in ("eu-west-1", "ap-southeast-2", "us-east-1", "us-gov-west-1")] == [
        "euw1",
        "apse2",
        "use1",
        "usgw1",
    ]


def test_role_names_fit_for_the_longest_prefix_in_every_region() -> None:
    prefix = platform_prefix("b" * 20, "e" * 12)
    for region in _known_regions():
        for role in (
            execution_role_name(prefix, region),
            feature_store_role_name(prefix, region),
            tracking_role_name(prefix, region),
            feedback_lambda_role_name(prefix, region),
            feedback_firehose_role_name(prefix, region),
        ):
            assert IAM_ROLE.problem(role) is None, role
            assert IAM_ROLE_POLICY.problem(role_policy_name(role)) is None


def test_one_blueprint_in_two_regions_of_an_account_gets_distinct_roles(write_blueprint: WriteBlueprint) -> None:
    roles = []
    for region in ("eu-west-1", "eu-west-2"):
        _, plan = plan_file(write_blueprint(TWIN_ENDPOINTS.replace("region: eu-west-1", f"region: {region}")), "prod")
        roles.append({r.inputs["name"] for r in plan.by_type("aws:iam/role:Role")})
        for resource in plan.by_type("aws:iam/role:Role") + plan.by_type("aws:iam/rolePolicy:RolePolicy"):
            # Only a new name replaces a role or role policy, so the new one is created first.
            assert resource.options.get("deleteBeforeReplace") is False, resource.name
    assert roles[0] == {"personalization-emea-prod-euw1-sagemaker-execution"}
    assert not roles[0] & roles[1]
