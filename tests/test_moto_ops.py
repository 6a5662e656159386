"""The moto-backed harness of the day-2 operations tests (tests/moto_ops.py), against a real moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore
import botocore.awsrequest
import botocore.loaders
import botocore.parsers
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.retries.standard import ExponentialBackoff

from mlstack.stack.plan import plan_file
from mlstack.stack.plan.engine import Plan
from tests.api_oracle import ApiRequest
from tests.conftest import REPO
from tests.moto_ops import (
    ACCESS_DENIED,
    CREDENTIALS,
    THROTTLING,
    Clients,
    FaultProxy,
    MotoServer,
    WireProtocol,
    aws_environment,
    clients,
    deploy,
    deploy_config,
    error_response,
    fault_proxy,
    moto_server,
    operation_of,
    serving_requests,
)

REGION = "us-east-1"
OPS = REPO / "tests" / "data" / "ops" / "ops.yaml"
RANKER = "opsdemo-prod-ranker"
SCORER = "opsdemo-prod-scorer"
# botocore's `max_attempts` in a Config counts retries: 1 attempt + 2 retries (AWS_MAX_ATTEMPTS counts all 3).
RETRIES = Config(retries={"mode": "standard", "max_attempts": 2})
ATTEMPTS = 3


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # What these tests check is botocore's classification and its count of attempts; its jittered
    # sleep between them (up to 1 s, then 2 s, for throttling) would only make the file slow.
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    with moto_server() as running:
        yield running


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_file(OPS, "prod")[1]


@pytest.fixture
def aws(server: MotoServer, plan: Plan) -> Clients:
    """Clients straight to moto, on which the prod plan has just been deployed."""
    server.reset()
    deploy(plan, endpoint_url=server.url, region=REGION)
    return clients(server.url, REGION)


@pytest.fixture
def proxy(server: MotoServer, aws: Clients) -> Iterator[FaultProxy]:
    with fault_proxy(server.url) as running:
        yield running


@pytest.fixture
def faulty(proxy: FaultProxy) -> Clients:
    """Clients through the proxy, with standard retries."""
    return clients(proxy.url, REGION, RETRIES)


def _requests(plan: Plan, operation: str) -> list[ApiRequest]:
    return [r for r in serving_requests(plan, REGION) if r.operation == operation]


def _variants(aws: Clients, endpoint: str) -> dict[str, tuple[float | None, int | None]]:
    described = aws.sagemaker.describe_endpoint(EndpointName=endpoint)
    return {
        v["VariantName"]: (v.get("CurrentWeight"), v.get("CurrentInstanceCount"))
        for v in described["ProductionVariants"]
    }


def _error(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value


def _renamed(name: str, **weights: float) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(request: dict[str, Any]) -> dict[str, Any]:
        request["EndpointConfigName"] = name
        for variant in request["ProductionVariants"]:
            variant["InitialVariantWeight"] = weights.get(variant["VariantName"], variant["InitialVariantWeight"])
        return request

    return change


# --- deploy -------------------------------------------------------------------------------------------


def test_deploy_creates_the_plans_endpoints_with_their_configs_and_weights(aws: Clients, plan: Plan) -> None:
    endpoints = {r.params["EndpointName"]: r.params["EndpointConfigName"] for r in _requests(plan, "CreateEndpoint")}
    assert set(endpoints) == {RANKER, SCORER}
    for name, config in endpoints.items():
        described = aws.sagemaker.describe_endpoint(EndpointName=name)
        assert (described["EndpointConfigName"], described["EndpointStatus"]) == (config, "InService")
    assert _variants(aws, RANKER) == {"champion": (90.0, 2), "challenger": (10.0, 1)}
    assert _variants(aws, SCORER) == {"main": (1.0, 1)}
    config = aws.sagemaker.describe_endpoint_config(EndpointConfigName=endpoints[RANKER])
    assert [v["InstanceType"] for v in config["ProductionVariants"]] == ["ml.m5.xlarge", "ml.m5.xlarge"]
    assert "CreationTime" in config


def test_deploy_creates_the_plans_alarms_scalable_targets_and_policies(aws: Clients, plan: Plan) -> None:
    alarms = {a["AlarmName"]: a for a in aws.cloudwatch.describe_alarms()["MetricAlarms"]}
    assert set(alarms) == {r.params["AlarmName"] for r in _requests(plan, "PutMetricAlarm")}
    error_rate = alarms[f"{RANKER}-error-rate"]
    assert [q["Id"] for q in error_rate["Metrics"] if q["ReturnData"]] == ["error_rate"]
    assert alarms[f"{RANKER}-champion-p99-latency"]["ExtendedStatistic"] == "p99"

    targets = aws.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert {(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets} == {
        (f"endpoint/{RANKER}/variant/champion", 2, 6),
        (f"endpoint/{RANKER}/variant/challenger", 1, 6),
    }
    assert {t["ScalableDimension"] for t in targets} == {"sagemaker:variant:DesiredInstanceCount"}
    policies = aws.autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert {p["PolicyName"] for p in policies} == {r.params["PolicyName"] for r in _requests(plan, "PutScalingPolicy")}


def test_reset_forgets_everything(server: MotoServer, aws: Clients) -> None:
    server.reset()
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []
    assert aws.cloudwatch.describe_alarms()["MetricAlarms"] == []


# --- moto patches -------------------------------------------------------------------------------------


def test_update_endpoint_deploys_the_new_configuration(aws: Clients, server: MotoServer, plan: Plan) -> None:
    before = aws.sagemaker.describe_endpoint(EndpointName=RANKER)
    name = deploy_config(
        plan,
        RANKER,
        endpoint_url=server.url,
        region=REGION,
        change=_renamed("ranker-v1", champion=50, challenger=50),
        activate=True,
    )
    after = aws.sagemaker.describe_endpoint(EndpointName=RANKER)
    assert (name, after["EndpointConfigName"], after["EndpointStatus"]) == ("ranker-v1", "ranker-v1", "InService")
    assert _variants(aws, RANKER) == {"champion": (50.0, 2), "challenger": (50.0, 1)}
    assert after["LastModifiedTime"] > before["LastModifiedTime"]


def test_update_endpoint_retains_live_variant_properties_when_asked(
    aws: Clients, server: MotoServer, plan: Plan
) -> None:
    aws.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=RANKER,
        DesiredWeightsAndCapacities=[
            {"VariantName": "champion", "DesiredWeight": 70, "DesiredInstanceCount": 4},
            {"VariantName": "challenger", "DesiredWeight": 30},
        ],
    )
    deploy_config(plan, RANKER, endpoint_url=server.url, region=REGION, change=_renamed("ranker-v1"))
    aws.sagemaker.update_endpoint(EndpointName=RANKER, EndpointConfigName="ranker-v1", RetainAllVariantProperties=True)
    assert _variants(aws, RANKER) == {"champion": (70.0, 4), "challenger": (30.0, 1)}

    aws.sagemaker.update_endpoint(
        EndpointName=RANKER,
        EndpointConfigName="ranker-v1",
        RetainAllVariantProperties=True,
        ExcludeRetainedVariantProperties=[{"VariantPropertyType": "DesiredWeight"}],
    )
    assert _variants(aws, RANKER) == {"champion": (90.0, 4), "challenger": (10.0, 1)}


def test_update_endpoint_rejects_what_does_not_exist(aws: Clients, plan: Plan) -> None:
    config = aws.sagemaker.describe_endpoint(EndpointName=RANKER)["EndpointConfigName"]
    missing = _error(lambda: aws.sagemaker.update_endpoint(EndpointName="nope", EndpointConfigName=config))
    assert missing.response["Error"] == {
        "Code": "ValidationException",
        "Message": f'Could not find endpoint "arn:aws:sagemaker:{REGION}:123456789012:endpoint/nope".',
    }
    missing = _error(lambda: aws.sagemaker.update_endpoint(EndpointName=RANKER, EndpointConfigName="nope"))
    assert missing.response["Error"]["Code"] == "ValidationException"
    assert "Could not find endpoint configuration" in missing.response["Error"]["Message"]


def test_a_weights_only_shift_keeps_instance_counts_and_a_count_only_one_keeps_weights(aws: Clients) -> None:
    aws.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=RANKER,
        DesiredWeightsAndCapacities=[
            {"VariantName": "champion", "DesiredWeight": 50},
            {"VariantName": "challenger", "DesiredWeight": 50},
        ],
    )
    assert _variants(aws, RANKER) == {"champion": (50.0, 2), "challenger": (50.0, 1)}
    aws.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=RANKER, DesiredWeightsAndCapacities=[{"VariantName": "challenger", "DesiredInstanceCount": 3}]
    )
    assert _variants(aws, RANKER) == {"champion": (50.0, 2), "challenger": (50.0, 3)}


def test_a_weight_of_zero_is_kept(aws: Clients, server: MotoServer, plan: Plan) -> None:
    aws.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=RANKER, DesiredWeightsAndCapacities=[{"VariantName": "challenger", "DesiredWeight": 0}]
    )
    assert _variants(aws, RANKER)["challenger"] == (0.0, 1)
    deploy_config(
        plan, RANKER, endpoint_url=server.url, region=REGION, change=_renamed("ranker-v1", champion=0), activate=True
    )
    assert _variants(aws, RANKER) == {"champion": (0.0, 2), "challenger": (10.0, 1)}


def test_tags_of_an_endpoint_are_overwritten_by_key(aws: Clients) -> None:
    arn = aws.sagemaker.describe_endpoint(EndpointName=RANKER)["EndpointArn"]
    aws.sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "mlstack:shift", "Value": "1"}])
    aws.sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "mlstack:shift", "Value": "2"}])
    tags = aws.sagemaker.list_tags(ResourceArn=arn)["Tags"]
    assert [t["Value"] for t in tags if t["Key"] == "mlstack:shift"] == ["2"]
    assert {"Key": "environment", "Value": "prod"} in tags
    aws.sagemaker.delete_tags(ResourceArn=arn, TagKeys=["mlstack:shift"])
    assert all(t["Key"] != "mlstack:shift" for t in aws.sagemaker.list_tags(ResourceArn=arn)["Tags"])

    gone = _error(lambda: aws.sagemaker.list_tags(ResourceArn=arn.replace(RANKER, "nope")))
    assert gone.response["Error"]["Code"] == "ValidationException"


def test_creating_what_exists_is_refused(aws: Clients, server: MotoServer, plan: Plan) -> None:
    for operation in ("CreateModel", "CreateEndpointConfig", "CreateEndpoint"):
        request = _requests(plan, operation)[0]
        method = getattr(aws.sagemaker, botocore.xform_name(operation))
        with pytest.raises(ClientError) as raised:
            method(**request.params)
        refused = raised.value
        assert refused.response["Error"]["Code"] == "ValidationException"
        assert refused.response["Error"]["Message"].startswith("Cannot create already existing ")
    with pytest.raises(ClientError, match="already existing endpoint configuration"):
        deploy_config(plan, RANKER, endpoint_url=server.url, region=REGION)


def test_moto_as_is_for_ssm_and_alarm_state(aws: Clients) -> None:
    # Behaviours the commands rely on that moto 5.2.5 already has (no patch).
    aws.ssm.put_parameter(Name="/mlstack/opsdemo/prod/ranker/ledger", Value="{}", Type="String")
    again = _error(
        lambda: aws.ssm.put_parameter(
            Name="/mlstack/opsdemo/prod/ranker/ledger", Value="{}", Type="String", Overwrite=False
        )
    )
    assert again.response["Error"]["Code"] == "ParameterAlreadyExists"
    found = aws.ssm.get_parameters_by_path(Path="/mlstack/opsdemo/prod", Recursive=True)["Parameters"]
    assert [p["Name"] for p in found] == ["/mlstack/opsdemo/prod/ranker/ledger"]
    aws.ssm.delete_parameter(Name="/mlstack/opsdemo/prod/ranker/ledger")
    gone = _error(lambda: aws.ssm.get_parameter(Name="/mlstack/opsdemo/prod/ranker/ledger"))
    assert gone.response["Error"]["Code"] == "ParameterNotFound"

    aws.cloudwatch.set_alarm_state(AlarmName=f"{RANKER}-error-rate", StateValue="ALARM", StateReason="test")
    alarming = aws.cloudwatch.describe_alarms(StateValue="ALARM")["MetricAlarms"]
    assert [a["AlarmName"] for a in alarming] == [f"{RANKER}-error-rate"]


# --- the proxy ----------------------------------------------------------------------------------------


def test_the_proxy_forwards_and_records_calls(faulty: Clients, proxy: FaultProxy) -> None:
    assert _variants(faulty, RANKER) == {"champion": (90.0, 2), "challenger": (10.0, 1)}
    faulty.cloudwatch.describe_alarms(AlarmNames=[f"{RANKER}-error-rate"])
    faulty.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    faulty.ssm.get_parameters_by_path(Path="/")
    assert proxy.calls == ["DescribeEndpoint", "DescribeAlarms", "DescribeScalableTargets", "GetParametersByPath"]


def test_a_throttled_call_succeeds_on_botocores_retry(faulty: Clients, proxy: FaultProxy) -> None:
    proxy.fail("DescribeEndpoint", "throttle", ATTEMPTS - 1)
    described = faulty.sagemaker.describe_endpoint(EndpointName=RANKER)
    assert described["ResponseMetadata"]["RetryAttempts"] == ATTEMPTS - 1
    assert proxy.calls == ["DescribeEndpoint"] * ATTEMPTS


def test_throttling_past_the_retries_reaches_the_caller(faulty: Clients, proxy: FaultProxy) -> None:
    proxy.fail("DescribeEndpoint", "throttle", ATTEMPTS)
    error = _error(lambda: faulty.sagemaker.describe_endpoint(EndpointName=RANKER))
    assert error.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.response["ResponseMetadata"]["RetryAttempts"] == ATTEMPTS - 1
    assert proxy.calls == ["DescribeEndpoint"] * ATTEMPTS
    faulty.sagemaker.describe_endpoint(EndpointName=RANKER)  # the faults are used up


def test_a_server_error_is_retried_and_never_reaches_moto(faulty: Clients, proxy: FaultProxy, aws: Clients) -> None:
    proxy.fail("UpdateEndpointWeightsAndCapacities", "server-error", ATTEMPTS)
    error = _error(
        lambda: faulty.sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=RANKER, DesiredWeightsAndCapacities=[{"VariantName": "champion", "DesiredWeight": 0}]
        )
    )
    assert error.response["Error"]["Code"] == "InternalFailure"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert proxy.calls == ["UpdateEndpointWeightsAndCapacities"] * ATTEMPTS
    assert _variants(aws, RANKER)["champion"] == (90.0, 2)


def test_failures_queue_in_order(faulty: Clients, proxy: FaultProxy) -> None:
    proxy.fail("GetParameter", "throttle", 1)
    proxy.fail("GetParameter", "server-error", 1)
    proxy.fail("GetParameter", "throttle", 1)
    error = _error(lambda: faulty.ssm.get_parameter(Name="/nope"))
    assert error.response["Error"]["Code"] == "ThrottlingException"
    error = _error(lambda: faulty.ssm.get_parameter(Name="/nope"))
    assert error.response["Error"]["Code"] == "ParameterNotFound"  # moto's answer on the 4th attempt
    assert proxy.calls == ["GetParameter"] * (ATTEMPTS + 1)


def _set_alarm_state(aws: Clients) -> Any:
    return aws.cloudwatch.set_alarm_state(AlarmName=f"{RANKER}-error-rate", StateValue="OK", StateReason="test")


def _describe_targets(aws: Clients) -> Any:
    return aws.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")


def _put_parameter(aws: Clients) -> Any:
    return aws.ssm.put_parameter(Name="/x", Value="1", Type="String", Overwrite=True)


@pytest.mark.parametrize(
    ("service", "operation", "call"),
    [
        ("cloudwatch", "DescribeAlarms", lambda aws: aws.cloudwatch.describe_alarms()),
        ("cloudwatch", "SetAlarmState", _set_alarm_state),
        ("application-autoscaling", "DescribeScalableTargets", _describe_targets),
        ("ssm", "PutParameter", _put_parameter),
    ],
)
def test_faults_reach_every_service(
    faulty: Clients, proxy: FaultProxy, service: str, operation: str, call: Callable[[Clients], Any]
) -> None:
    proxy.fail(operation, "throttle", 1)
    call(faulty)
    assert proxy.calls == [operation, operation]
    proxy.clear_calls()
    proxy.fail(operation, "throttle", ATTEMPTS)
    throttled = _error(lambda: call(faulty))
    # CloudWatch is awsQueryCompatible: botocore reports the query code its clients have always seen.
    assert throttled.response["Error"]["Code"] == ("Throttling" if service == "cloudwatch" else "ThrottlingException")
    assert proxy.calls == [operation] * ATTEMPTS
    proxy.deny(operation)
    denied = _error(lambda: call(faulty))
    assert denied.response["Error"]["Code"] == ("AccessDenied" if service == "cloudwatch" else "AccessDeniedException")
    assert f"is not authorized to perform: {service}:{operation} on resource: " in denied.response["Error"]["Message"]


def test_a_denial_lasts_until_cleared_and_is_not_retried(faulty: Clients, proxy: FaultProxy) -> None:
    proxy.deny("DescribeEndpoint")
    for _ in range(2):
        error = _error(lambda: faulty.sagemaker.describe_endpoint(EndpointName=RANKER))
        assert error.response["Error"] == {
            "Code": "AccessDeniedException",
            "Message": (
                "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sagemaker:DescribeEndpoint on "
                f"resource: arn:aws:sagemaker:{REGION}:123456789012:endpoint/{RANKER} because no identity-based "
                "policy allows the sagemaker:DescribeEndpoint action"
            ),
        }
    assert proxy.calls == ["DescribeEndpoint", "DescribeEndpoint"]
    faulty.sagemaker.list_endpoints()  # other operations pass
    proxy.clear()
    faulty.sagemaker.describe_endpoint(EndpointName=RANKER)


def test_a_rewrite_changes_only_its_operations_responses(faulty: Clients, proxy: FaultProxy) -> None:
    def stuck(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "EndpointStatus": "Updating"}

    proxy.rewrite("DescribeEndpoint", stuck)
    described = faulty.sagemaker.describe_endpoint(EndpointName=RANKER)
    assert described["EndpointStatus"] == "Updating"
    assert {v["VariantName"] for v in described["ProductionVariants"]} == {"champion", "challenger"}
    assert {e["EndpointStatus"] for e in faulty.sagemaker.list_endpoints()["Endpoints"]} == {"InService"}
    # Errors pass through unchanged.
    assert _error(lambda: faulty.sagemaker.describe_endpoint(EndpointName="nope")).response["Error"]["Code"] == (
        "ValidationException"
    )
    proxy.clear()
    assert faulty.sagemaker.describe_endpoint(EndpointName=RANKER)["EndpointStatus"] == "InService"


def test_an_unknown_operation_is_refused(proxy: FaultProxy) -> None:
    registrations: list[Callable[[], None]] = [
        lambda: proxy.fail("DescribeEndpoints", "throttle", 1),
        lambda: proxy.deny("describe_endpoint"),
        lambda: proxy.rewrite("Describe", lambda body: body),
    ]
    for register in registrations:
        with pytest.raises(ValueError, match="is not an operation of"):
            register()


def test_a_subprocess_reaches_the_proxy_through_aws_endpoint_url(proxy: FaultProxy) -> None:
    # How the commands run as subprocesses: the standard credential chain plus AWS_ENDPOINT_URL.
    proxy.rewrite("DescribeEndpoint", lambda body: {**body, "EndpointStatus": "Updating"})
    script = (
        f"import boto3; print(boto3.client('sagemaker').describe_endpoint(EndpointName='{RANKER}')['EndpointStatus'])"
    )
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **aws_environment(proxy.url, REGION),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "Updating"
    assert proxy.calls == ["DescribeEndpoint"]


# --- other protocols ----------------------------------------------------------------------------------


def _cloudwatch_speaking(protocol: str, endpoint_url: str, data: Path) -> Any:
    """A CloudWatch client that uses `protocol` (botocore 1.44 picks JSON), via a patched service model."""
    model = botocore.loaders.Loader().load_service_model("cloudwatch", "service-2")
    model["metadata"].update(protocol=protocol, protocols=[protocol])
    path = data / "cloudwatch" / model["metadata"]["apiVersion"] / "service-2.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(model))
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, str(data))
    return session.create_client(
        "cloudwatch", endpoint_url=endpoint_url, region_name=REGION, config=RETRIES, **CREDENTIALS
    )


def test_a_query_protocol_client_is_identified_and_faulted(proxy: FaultProxy, tmp_path: Path) -> None:
    cloudwatch = _cloudwatch_speaking("query", proxy.url, tmp_path)
    assert {a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]} >= {f"{RANKER}-error-rate"}
    proxy.fail("DescribeAlarms", "throttle", ATTEMPTS)
    throttled = _error(cloudwatch.describe_alarms)
    assert throttled.response["Error"]["Code"] == "Throttling"
    proxy.deny("SetAlarmState")
    denied = _error(lambda: cloudwatch.set_alarm_state(AlarmName="a", StateValue="OK", StateReason="test"))
    assert denied.response["Error"]["Code"] == "AccessDenied"
    assert proxy.calls == ["DescribeAlarms"] * (1 + ATTEMPTS) + ["SetAlarmState"]


def test_a_cbor_protocol_client_is_identified_and_faulted(proxy: FaultProxy, tmp_path: Path) -> None:
    # moto 5.2.5 cannot answer CBOR, so only faulted calls are made.
    cloudwatch = _cloudwatch_speaking("smithy-rpc-v2-cbor", proxy.url, tmp_path)
    proxy.fail("DescribeAlarms", "server-error", ATTEMPTS)
    failed = _error(cloudwatch.describe_alarms)
    assert (failed.response["Error"]["Code"], failed.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InternalFailure",
        500,
    )
    proxy.deny("DescribeAlarms")
    denied = _error(cloudwatch.describe_alarms)
    assert denied.response["Error"]["Code"] == "AccessDenied"
    assert "cloudwatch:DescribeAlarms" in denied.response["Error"]["Message"]
    assert proxy.calls == ["DescribeAlarms"] * (ATTEMPTS + 1)


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "operation"),
    [
        ("POST", "/", {"X-Amz-Target": "SageMaker.DescribeEndpoint"}, b"{}", "DescribeEndpoint"),
        ("POST", "/", {"x-amz-target": "AmazonSSM.GetParameter"}, b"{}", "GetParameter"),
        ("POST", "/service/GraniteServiceVersion20100801/operation/PutMetricAlarm", {}, b"\xa0", "PutMetricAlarm"),
        (
            "POST",
            "/",
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            b"Action=DescribeAlarms&Version=2010-08-01",
            "DescribeAlarms",
        ),
        ("GET", "/?Action=DescribeAlarms&Version=2010-08-01", {}, b"", "DescribeAlarms"),
        ("POST", "/moto-api/reset", {}, b"", ""),
    ],
)
def test_operation_of(method: str, path: str, headers: dict[str, str], body: bytes, operation: str) -> None:
    assert operation_of(method, path, headers, body) == operation


@pytest.mark.parametrize("protocol", ["json", "smithy-rpc-v2-cbor", "query"])
def test_fault_bodies_parse_as_botocore_expects(protocol: str) -> None:
    wires: dict[str, WireProtocol] = {"json": "json", "smithy-rpc-v2-cbor": "cbor", "query": "query"}
    wire = wires[protocol]
    for error, service, code in (
        (THROTTLING, "sagemaker", "ThrottlingException"),
        (THROTTLING, "cloudwatch", "Throttling"),
        (ACCESS_DENIED, "ssm", "AccessDeniedException"),
        (ACCESS_DENIED, "cloudwatch", "AccessDenied"),
    ):
        if protocol == "query" and service != "cloudwatch":
            continue
        status, headers, body = error_response(
            error, "text & <markup>", protocol=wire, service=service, request_headers={}
        )
        response = {"status_code": status, "headers": botocore.awsrequest.HeadersDict(headers), "body": body}
        parsed = botocore.parsers.create_parser(protocol).parse(response, None)
        assert (parsed["Error"]["Code"], parsed["Error"]["Message"]) == (code, "text & <markup>")
