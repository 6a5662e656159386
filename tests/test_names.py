"""Physical names: content-versioned names stay distinct when they are cut to fit."""

from __future__ import annotations

from stack.plan import plan_file
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
