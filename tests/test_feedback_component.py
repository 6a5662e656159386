"""FeedbackApi as the offline engine captures it: inputs by (type, name), and what must be absent."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from mlstack.components.feedback import HANDLER_FILE, FeedbackApi, FeedbackApiArgs, validate_args
from mlstack.components.naming import feedback_resource_names
from mlstack.stack.plan.engine import FAKE_ACCOUNT_ID, UNKNOWN_TEXT, Plan, run_offline

NAME = "recsys-prod-feedback"
BUCKET = f"recsys-prod-{FAKE_ACCOUNT_ID}-eu-west-1"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
KEY_ARN = f"arn:aws:kms:eu-west-1:{FAKE_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TAGS = {"blueprint": "recsys", "environment": "prod", "managed-by": "mlstack"}

API = "aws:apigatewayv2/api:Api"
STAGE = "aws:apigatewayv2/stage:Stage"
ROUTE = "aws:apigatewayv2/route:Route"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
STREAM = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def args(**changes: Any) -> FeedbackApiArgs:
    values: dict[str, Any] = {
        "name_prefix": "recsys-prod",
        "endpoints": ["ranker", "fraud-scorer"],
        "bucket_name": BUCKET,
        "kms_key_arn": pulumi.Output.from_input(KEY_ARN),
        "key_alias": "alias/mlstack/recsys-prod",
        "account_id": FAKE_ACCOUNT_ID,
        "partition": "aws",
        "region": "eu-west-1",
        "tags": TAGS,
        # The platform's own tags win over the caller's.
        "extra_tags": {"environment": "overridden?", "team-channel": "#recsys"},
    }
    values.update(changes)
    return FeedbackApiArgs(**values)


def plan_for(feedback_args: FeedbackApiArgs, region: str = "eu-west-1") -> Plan:
    return run_offline(
        lambda: {"url": FeedbackApi(NAME, feedback_args).api_endpoint},
        project="mlstack",
        stack="recsys-prod",
        region=region,
    )


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_for(args())


def policy(plan: Plan, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(plan.get(ROLE_POLICY, name).inputs["policy"])
    return document


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in document["Statement"] if s.get("Sid") == sid]
    [only] = found
    return only


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair in nested inputs, JSON policy documents included."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# --- structure ------------------------------------------------------------------------------------


def test_component_owns_every_resource(plan: Plan) -> None:
    [component] = plan.by_type("mlstack:feedback:FeedbackApi")
    assert component.name == NAME
    children = plan.children(component.urn)
    assert len(children) == len(plan.resources) - 1
    assert all(child.name.startswith(f"{NAME}-") for child in children)
    assert sorted(child.type for child in children) == sorted(
        [API, STAGE, ROUTE, INTEGRATION, FUNCTION, PERMISSION, STREAM]
        + [LOG_GROUP] * 3
        + ["aws:cloudwatch/logStream:LogStream"]
        + [ROLE] * 2
        + [ROLE_POLICY] * 2
    )


def test_invoke_url_is_known_after_apply(plan: Plan) -> None:
    assert plan.outputs == {"url": UNKNOWN_TEXT}


def test_tags_merge_platform_tags_last(plan: Plan) -> None:
    expected = {**TAGS, "team-channel": "#recsys"}
    taggable = [r for r in plan.resources if r.custom and "tags" in r.inputs]
    assert {r.type for r in taggable} == {API, STAGE, FUNCTION, STREAM, LOG_GROUP, ROLE}
    assert all(r.inputs["tags"] == expected for r in taggable)


# --- API Gateway ----------------------------------------------------------------------------------


def test_only_route_is_post_feedback_with_iam_auth(plan: Plan) -> None:
    [route] = plan.by_type(ROUTE)
    assert route.name == f"{NAME}-route"
    assert route.inputs["routeKey"] == "POST /feedback"
    assert route.inputs["authorizationType"] == "AWS_IAM"
    assert route.inputs["apiId"] == plan.get(API, f"{NAME}-api").inputs["name"]  # the mock's id is the name
    assert "authorizerId" not in route.inputs


def test_api_has_no_quick_create_route_and_no_cors(plan: Plan) -> None:
    api = plan.get(API, f"{NAME}-api").inputs
    assert api["protocolType"] == "HTTP"
    assert api["name"] == "recsys-prod-feedback"
    # Quick create (target/routeKey on the API) would add a $default route without authorization.
    for absent in ("target", "routeKey", "corsConfiguration", "body", "credentialsArn"):
        assert absent not in api
    assert api.get("disableExecuteApiEndpoint") is not True


def test_stage_throttles_and_logs_access(plan: Plan) -> None:
    stage = plan.get(STAGE, f"{NAME}-stage").inputs
    assert stage["name"] == "$default"
    assert stage["autoDeploy"] is True
    assert stage["defaultRouteSettings"] == {"throttlingBurstLimit": 100, "throttlingRateLimit": 50}
    access = stage["accessLogSettings"]
    assert access["destinationArn"] == UNKNOWN_TEXT
    assert json.loads(access["format"])["caller"] == "$context.identity.userArn"


def test_integration_is_lambda_proxy_payload_2(plan: Plan) -> None:
    integration = plan.get(INTEGRATION, f"{NAME}-integration").inputs
    assert integration["integrationType"] == "AWS_PROXY"
    assert integration["payloadFormatVersion"] == "2.0"
    assert integration["integrationMethod"] == "POST"
    assert integration["timeoutMilliseconds"] > plan.get(FUNCTION, f"{NAME}-function").inputs["timeout"] * 1000


def test_only_this_route_of_this_api_may_invoke_the_function(plan: Plan) -> None:
    [permission] = plan.by_type(PERMISSION)
    inputs = permission.inputs
    assert inputs["action"] == "lambda:InvokeFunction"
    assert inputs["function"] == "recsys-prod-feedback"
    assert inputs["principal"] == "apigateway.amazonaws.com"
    api_id = plan.get(ROUTE, f"{NAME}-route").inputs["apiId"]
    assert inputs["sourceArn"] == f"arn:aws:execute-api:eu-west-1:{FAKE_ACCOUNT_ID}:{api_id}/*/POST/feedback"
    for absent in ("functionUrlAuthType", "principalOrgId", "eventSourceToken"):
        assert absent not in inputs


def test_no_public_principal_anywhere(plan: Plan) -> None:
    principals = [
        json.dumps(value, sort_keys=True)
        for resource in plan.resources
        for key, value in walk(dict(resource.inputs))
        if key in ("principal", "Principal")
    ]
    # Exactly the three service principals; no "*" and no {"AWS": "*"}.
    assert sorted(principals) == [
        '"apigateway.amazonaws.com"',
        '{"Service": "firehose.amazonaws.com"}',
        '{"Service": "lambda.amazonaws.com"}',
    ]


# --- Lambda ---------------------------------------------------------------------------------------


def test_function_runs_the_repo_handler(plan: Plan) -> None:
    function = plan.get(FUNCTION, f"{NAME}-function").inputs
    assert function["name"] == "recsys-prod-feedback"
    assert function["runtime"] == "python3.12"
    assert function["architectures"] == ["arm64"]
    assert function["handler"] == "handler.handler"
    assert function["timeout"] == 10
    # The plan shows the packaged file relative to the project, with a digest of its content.
    assert function["code"] == {
        "archive": {
            "handler.py": {
                "asset": {
                    "path": "components/feedback_handler/handler.py",
                    "sha256": hashlib.sha256(HANDLER_FILE.read_bytes()).hexdigest(),
                }
            }
        }
    }
    for absent in ("imageUri", "s3Bucket", "vpcConfig", "layers"):
        assert absent not in function


def test_function_environment_configures_the_handler(plan: Plan) -> None:
    function = plan.get(FUNCTION, f"{NAME}-function").inputs
    assert function["environment"] == {
        "variables": {
            "ALLOWED_ENDPOINTS": "fraud-scorer,ranker",
            "DELIVERY_STREAM": "recsys-prod-feedback",
            "MAX_BODY_BYTES": "16384",
        }
    }
    assert function["loggingConfig"] == {"logFormat": "JSON", "logGroup": "/aws/lambda/recsys-prod-feedback"}


def test_log_groups_have_retention(plan: Plan) -> None:
    groups = {r.inputs["name"]: r.inputs for r in plan.by_type(LOG_GROUP)}
    assert sorted(groups) == [
        "/aws/kinesisfirehose/recsys-prod-feedback",
        "/aws/lambda/recsys-prod-feedback",
        "/aws/vendedlogs/apigateway/recsys-prod-feedback",
    ]
    assert all(group["retentionInDays"] == 30 for group in groups.values())
    # Encrypted with the platform key, which the foundation's key policy lets CloudWatch Logs use.
    assert all(group["kmsKeyId"] == KEY_ARN for group in groups.values())


def test_lambda_role_may_only_put_records_on_its_stream_and_write_its_logs(plan: Plan) -> None:
    role = plan.get(ROLE, f"{NAME}-lambda-role").inputs
    assert role["name"] == "recsys-prod-euw1-feedback-lambda"
    assert json.loads(role["assumeRolePolicy"])["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    document = policy(plan, f"{NAME}-lambda-policy")
    assert [s["Sid"] for s in document["Statement"]] == ["PutFeedback", "OwnLogs"]
    assert statement(document, "PutFeedback") == {
        "Sid": "PutFeedback",
        "Effect": "Allow",
        "Action": ["firehose:PutRecord"],
        "Resource": [f"arn:aws:firehose:eu-west-1:{FAKE_ACCOUNT_ID}:deliverystream/recsys-prod-feedback"],
    }
    logs = statement(document, "OwnLogs")
    assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == [
        f"arn:aws:logs:eu-west-1:{FAKE_ACCOUNT_ID}:log-group:/aws/lambda/recsys-prod-feedback:*"
    ]


# --- Firehose -------------------------------------------------------------------------------------


def test_stream_is_direct_put_encrypted_with_the_platform_key(plan: Plan) -> None:
    stream = plan.get(STREAM, f"{NAME}-stream").inputs
    assert stream["name"] == "recsys-prod-feedback"
    assert stream["destination"] == "extended_s3"
    assert stream["serverSideEncryption"] == {"enabled": True, "keyArn": KEY_ARN, "keyType": "CUSTOMER_MANAGED_CMK"}
    # DirectPut: no Kinesis or MSK source.
    assert "kinesisSourceConfiguration" not in stream
    assert "mskSourceConfiguration" not in stream


def test_stream_partitions_by_endpoint_under_feedback(plan: Plan) -> None:
    s3 = plan.get(STREAM, f"{NAME}-stream").inputs["extendedS3Configuration"]
    assert s3["bucketArn"] == BUCKET_ARN
    assert s3["prefix"] == "feedback/!{partitionKeyFromQuery:endpoint}/!{timestamp:yyyy/MM/dd}/"
    assert s3["errorOutputPrefix"] == "feedback-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
    assert s3["kmsKeyArn"] == KEY_ARN
    assert s3["roleArn"] == f"arn:aws:iam::{FAKE_ACCOUNT_ID}:role/recsys-prod-euw1-feedback-firehose"
    assert s3["dynamicPartitioningConfiguration"] == {"enabled": True, "retryDuration": 300}
    assert s3["bufferingSize"] == 64  # the minimum with dynamic partitioning
    assert s3["bufferingInterval"] == 300
    assert s3["compressionFormat"] == "GZIP"
    assert s3["processingConfiguration"] == {
        "enabled": True,
        "processors": [
            {
                "type": "MetadataExtraction",
                "parameters": [
                    {"parameterName": "MetadataExtractionQuery", "parameterValue": "{endpoint:.endpoint}"},
                    {"parameterName": "JsonParsingEngine", "parameterValue": "JQ-1.6"},
                ],
            }
        ],
    }
    assert s3["cloudwatchLoggingOptions"] == {
        "enabled": True,
        "logGroupName": "/aws/kinesisfirehose/recsys-prod-feedback",
        "logStreamName": "DestinationDelivery",
    }


def test_firehose_role_writes_only_feedback_prefixes(plan: Plan) -> None:
    role = plan.get(ROLE, f"{NAME}-firehose-role").inputs
    assert role["name"] == "recsys-prod-euw1-feedback-firehose"
    [trust] = json.loads(role["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": FAKE_ACCOUNT_ID}}

    document = policy(plan, f"{NAME}-firehose-policy")
    objects = statement(document, "FeedbackObjects")
    assert objects["Action"] == ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    assert objects["Resource"] == [f"{BUCKET_ARN}/feedback/*", f"{BUCKET_ARN}/feedback-errors/*"]
    bucket = statement(document, "FeedbackBucket")
    assert bucket["Resource"] == [BUCKET_ARN]
    assert not any(a in ("s3:PutObject", "s3:GetObject", "s3:DeleteObject") for a in bucket["Action"])
    # No statement reaches objects outside the two prefixes.
    object_resources = [r for s in document["Statement"] for r in s["Resource"] if r.startswith(f"{BUCKET_ARN}/")]
    assert sorted(object_resources) == [f"{BUCKET_ARN}/feedback-errors/*", f"{BUCKET_ARN}/feedback/*"]
    assert not any("s3:Delete" in a for s in document["Statement"] for a in s["Action"])


def test_firehose_role_uses_the_key_only_through_its_alias_and_s3(plan: Plan) -> None:
    key = statement(policy(plan, f"{NAME}-firehose-policy"), "PlatformKeyViaS3")
    assert key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert key["Resource"] == [f"arn:aws:kms:eu-west-1:{FAKE_ACCOUNT_ID}:key/*"]
    assert key["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/mlstack/recsys-prod"},
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
    }
    logs = statement(policy(plan, f"{NAME}-firehose-policy"), "DeliveryErrorLogs")
    assert logs["Action"] == ["logs:PutLogEvents"]
    assert logs["Resource"] == [
        f"arn:aws:logs:eu-west-1:{FAKE_ACCOUNT_ID}:log-group:/aws/kinesisfirehose/recsys-prod-feedback"
        ":log-stream:DestinationDelivery"
    ]


def test_no_policy_has_wildcard_actions(plan: Plan) -> None:
    for resource in plan.by_type(ROLE_POLICY):
        for item in json.loads(resource.inputs["policy"])["Statement"]:
            assert item["Effect"] == "Allow"
            actions = item["Action"] if isinstance(item["Action"], list) else [item["Action"]]
            assert all("*" not in action for action in actions), (resource.name, actions)
            assert "NotAction" not in item and "NotResource" not in item
            # `*` in a resource only as a suffix under a named bucket, key space or log group.
            assert all(r != "*" for r in item["Resource"]), resource.name


def test_china_partition_uses_its_s3_service_name() -> None:
    plan = plan_for(args(partition="aws-cn", region="cn-north-1"), region="cn-north-1")
    key = statement(policy(plan, f"{NAME}-firehose-policy"), "PlatformKeyViaS3")
    assert key["Condition"]["StringEquals"] == {"kms:ViaService": "s3.cn-north-1.amazonaws.com.cn"}
    assert key["Resource"] == [f"arn:aws-cn:kms:cn-north-1:{FAKE_ACCOUNT_ID}:key/*"]
    stream_arn = statement(policy(plan, f"{NAME}-lambda-policy"), "PutFeedback")["Resource"]
    assert stream_arn == [f"arn:aws-cn:firehose:cn-north-1:{FAKE_ACCOUNT_ID}:deliverystream/recsys-prod-feedback"]


def test_settings_reach_the_resources() -> None:
    plan = plan_for(
        args(endpoints=["ranker"], max_body_bytes=4096, log_retention_days=90, buffer_seconds=60, throttle_burst=10)
    )
    function = plan.get(FUNCTION, f"{NAME}-function").inputs
    assert function["environment"]["variables"]["ALLOWED_ENDPOINTS"] == "ranker"
    assert function["environment"]["variables"]["MAX_BODY_BYTES"] == "4096"
    assert {r.inputs["retentionInDays"] for r in plan.by_type(LOG_GROUP)} == {90}
    assert plan.get(STREAM, f"{NAME}-stream").inputs["extendedS3Configuration"]["bufferingInterval"] == 60
    assert plan.get(STAGE, f"{NAME}-stage").inputs["defaultRouteSettings"]["throttlingBurstLimit"] == 10


# --- validation -----------------------------------------------------------------------------------


def test_names_fit_aws_limits_for_the_longest_prefix() -> None:
    # The firehose role, <prefix>-euw1-feedback-firehose, is the longest name that has a limit to meet.
    longest = "p" * 41
    assert validate_args(args(name_prefix=longest)) == []
    assert all(rule.problem(name) is None for rule, name in feedback_resource_names(longest, "eu-west-1").values())
    [problem] = validate_args(args(name_prefix=longest + "x"))
    assert problem == (
        f"name_prefix '{longest}x': IAM role name '{longest}x-euw1-feedback-firehose' has 65 characters; "
        "IAM role names have at most 64 (botocore iam roleNameType)"
    )


def test_invalid_arguments_are_reported_together_before_anything_is_created() -> None:
    bad = args(endpoints=["ranker", "Ranker", "ranker", "a,b"], log_retention_days=31, buffer_seconds=30)
    with pytest.raises(ValueError, match="invalid FeedbackApi arguments") as raised:
        # No Pulumi runtime is set up: validation must fail before the first registration.
        FeedbackApi(NAME, bad)
    assert str(raised.value).splitlines()[1:] == [
        "- endpoint 'Ranker' must be lower-case letters, digits and inner hyphens",
        "- endpoint 'ranker' is listed twice",
        "- endpoint 'a,b' must be lower-case letters, digits and inner hyphens",
        "- log_retention_days 31 is not a CloudWatch retention; one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, "
        "180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
        "- buffer_seconds must be 60 to 900 with dynamic partitioning, got 30",
    ]


def test_no_endpoints_is_an_error() -> None:
    assert validate_args(args(endpoints=[])) == ["endpoints is empty: at least one endpoint must accept feedback"]
