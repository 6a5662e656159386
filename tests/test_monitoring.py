"""Drift monitors, on-call wiring, dashboard: rules with both blueprint paths, and component inputs."""

from __future__ import annotations

import json

import pytest

from mlstack.blueprints.load import load, load_for_environment
from mlstack.stack.plan import plan_file
from mlstack.stack.plan.engine import UNKNOWN_TEXT, Plan
from tests.conftest import EXAMPLES, WriteBlueprint, line_of, only_problem

REFERENCE = (EXAMPLES / "recsys.yaml").read_text(encoding="utf-8")
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SCHEDULE = "aws:sagemaker/monitoringSchedule:MonitoringSchedule"


def test_monitor_on_an_endpoint_without_data_capture_names_both_paths(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("    data_capture: {sample_percent: 20}\n", "")
    assert only_problem(write_blueprint, text) == (
        f"bp.yaml:{line_of(text, '      endpoint: ranker')}:7: monitoring.drift.ranker-data.endpoint: endpoint ranker "
        "has no data_capture (endpoints.ranker.data_capture), and Model Monitor reads captured requests: add "
        "data_capture to the endpoint"
    )


def test_monitor_on_a_serverless_endpoint(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("      endpoint: ranker\n", "      endpoint: intent-classifier\n")
    assert only_problem(write_blueprint, text).endswith(
        "monitoring.drift.ranker-data.endpoint: endpoint intent-classifier (endpoints.intent-classifier) is "
        "serverless, and Model Monitor cannot watch serverless endpoints; use a scheduled drift job on Kubernetes "
        "instead (`kubernetes.drift`)"
    )


def test_model_quality_monitor_needs_ground_truth(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("      ground_truth: s3://recsys-artifacts/labels/fraud/\n", "")
    assert only_problem(write_blueprint, text) == (
        f"bp.yaml:{line_of(text, '- name: fraud-quality')}:7: monitoring.drift.fraud-quality: a model-quality "
        "monitor needs `ground_truth`"
    )


def test_monitor_on_an_unknown_endpoint(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("      endpoint: ranker\n", "      endpoint: rankr\n")
    assert only_problem(write_blueprint, text).endswith(
        "monitoring.drift.ranker-data.endpoint: endpoint 'rankr' is not one of this blueprint's endpoints "
        "(ranker, fraud-scorer, assistant-llm, intent-classifier); did you mean 'ranker'?"
    )


@pytest.mark.parametrize(
    "schedule", ["every-hour", "cron(30 * ? * * *)", "cron(0 25 ? * * *)", "rate(1 hour)", "cron(0 */6 ? * * *)"]
)
def test_schedule_must_be_one_sagemaker_accepts(write_blueprint: WriteBlueprint, schedule: str) -> None:
    text = REFERENCE.replace("      schedule: hourly\n", f'      schedule: "{schedule}"\n')
    problem = only_problem(write_blueprint, text)
    assert problem.startswith(f"bp.yaml:{line_of(text, schedule)}:7: monitoring.drift.ranker-data.schedule:")
    assert "is not one SageMaker accepts" in problem


def test_cron_schedules_that_sagemaker_accepts(write_blueprint: WriteBlueprint) -> None:
    for schedule in ("cron(0 0/6 ? * * *)", "cron(0 3 ? * * *)", "cron(0 1/4 ? * * *)"):
        load(write_blueprint(REFERENCE.replace("      schedule: hourly\n", f'      schedule: "{schedule}"\n')))


def test_data_quality_monitor_rejects_model_quality_fields(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("      schedule: hourly\n", "      schedule: hourly\n      problem_type: regression\n")
    assert only_problem(write_blueprint, text).endswith(
        "monitoring.drift.ranker-data.problem_type: `problem_type` applies to model-quality monitors only"
    )


def test_feedback_endpoint_must_exist(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("  endpoints: [ranker, assistant-llm]", "  endpoints: [ranker, assistant]")
    assert only_problem(write_blueprint, text).endswith(
        "feedback.endpoints[1]: endpoint 'assistant' is not one of this blueprint's endpoints (ranker, fraud-scorer, "
        "assistant-llm, intent-classifier); did you mean 'assistant-llm'?"
    )


def test_feedback_without_data_capture_is_a_warning() -> None:
    resolved = load_for_environment(EXAMPLES / "recsys.yaml", "prod")
    [warning] = resolved.warnings
    assert warning.severity == "warning"
    assert warning.path == "feedback.endpoints[1]"
    assert "endpoint assistant-llm does not capture data (endpoints.assistant-llm.data_capture)" in warning.message


def test_on_call_email_must_look_like_one(write_blueprint: WriteBlueprint) -> None:
    text = REFERENCE.replace("email: ml-oncall@example.com", "email: ml-oncall")
    assert "monitoring.on_call.email: 'ml-oncall' is not valid here" in only_problem(write_blueprint, text)


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {env: plan_file(EXAMPLES / "recsys.yaml", env)[1] for env in ("dev", "prod")}


def test_on_call_topic_is_encrypted_and_subscribed(plans: dict[str, Plan]) -> None:
    topic = plans["prod"].get("aws:sns/topic:Topic", "recsys-prod-on-call-topic").inputs
    assert topic["kmsMasterKeyId"] == "alias/mlstack/recsys-prod"
    subscription = plans["prod"].get("aws:sns/topicSubscription:TopicSubscription", "recsys-prod-on-call-email").inputs
    assert subscription["protocol"] == "email"
    assert subscription["endpoint"] == "ml-oncall@example.com"


def test_key_lets_cloudwatch_publish_to_the_encrypted_topic(plans: dict[str, Plan]) -> None:
    policy = json.loads(plans["prod"].get("aws:kms/key:Key", "recsys-prod-key").inputs["policy"])
    statement = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchAlarmsToEncryptedTopic")
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "000000000000"}}
    logs = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsEncryption")
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:000000000000:log-group:*"}
    }


def test_every_alarm_notifies_on_call(plans: dict[str, Plan]) -> None:
    alarms = plans["prod"].by_type(ALARM)
    # 5 endpoint alarms on the ranker and fraud scorer... plus the LLM's, plus 2 per drift monitor,
    # plus the Kubernetes drift job's missing-report alarm.
    assert len(alarms) == 3 + 2 + 2 + 2 * 2 + 1
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [UNKNOWN_TEXT], alarm.name  # the topic's ARN, created in this run
        assert alarm.inputs["okActions"] == [UNKNOWN_TEXT]
        # No traffic is no outage; but no report from a drift job is the failure it watches for.
        missing_report = alarm.name.endswith("-drift-report-missing")
        assert alarm.inputs["treatMissingData"] == ("breaching" if missing_report else "notBreaching")
        assert alarm.inputs["alarmDescription"]


def test_drift_alarms_count_the_monitors_violations(plans: dict[str, Plan]) -> None:
    plan = plans["prod"]
    alarm = plan.get(ALARM, "recsys-prod-ranker-data-violations-alarm").inputs
    assert alarm["namespace"] == "AWS/Events"
    assert alarm["metricName"] == "MatchedEvents"
    assert alarm["dimensions"] == {"RuleName": "recsys-prod-ranker-data-violations"}
    assert "drift" in alarm["alarmDescription"] and "re-baseline" in alarm["alarmDescription"]
    failed = plan.get(ALARM, "recsys-prod-ranker-data-failed-alarm").inputs
    assert failed["dimensions"] == {"RuleName": "recsys-prod-ranker-data-failed"}


def test_schedule_expressions(plans: dict[str, Plan]) -> None:
    prod = plans["prod"].get(SCHEDULE, "recsys-prod-ranker-data-schedule").inputs["monitoringScheduleConfig"]
    assert prod["scheduleConfig"] == {"scheduleExpression": "cron(0 * ? * * *)"}
    assert prod["monitoringType"] == "DataQuality"
    job = plans["prod"].get(
        "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition", "recsys-prod-ranker-data-job"
    )
    assert prod["monitoringJobDefinitionName"] == job.inputs["name"]
    # dev overrides the ranker monitor to daily.
    dev = plans["dev"].get(SCHEDULE, "recsys-dev-ranker-data-schedule").inputs["monitoringScheduleConfig"]
    assert dev["scheduleConfig"] == {"scheduleExpression": "cron(0 0 ? * * *)"}
    quality = plans["prod"].get(SCHEDULE, "recsys-prod-fraud-quality-schedule").inputs["monitoringScheduleConfig"]
    assert quality["monitoringType"] == "ModelQuality"


def test_data_quality_job_is_encrypted_isolated_and_in_the_vpc(plans: dict[str, Plan]) -> None:
    job = (
        plans["prod"]
        .get("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition", "recsys-prod-ranker-data-job")
        .inputs
    )
    assert job["dataQualityJobOutputConfig"]["kmsKeyId"] == UNKNOWN_TEXT
    assert job["jobResources"]["clusterConfig"]["volumeKmsKeyId"] == UNKNOWN_TEXT
    assert job["jobResources"]["clusterConfig"]["instanceType"] == "ml.m5.xlarge"
    assert job["networkConfig"]["enableInterContainerTrafficEncryption"] is True
    assert job["networkConfig"]["enableNetworkIsolation"] is True
    assert job["networkConfig"]["vpcConfig"]["subnets"] == ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
    assert job["dataQualityBaselineConfig"]["constraintsResource"] == {
        "s3Uri": "s3://recsys-artifacts/baselines/ranker/constraints.json"
    }
    assert job["dataQualityJobInput"]["endpointInput"]["endpointName"] == "recsys-prod-ranker"
    assert "sagemaker-model-monitor-analyzer" in job["dataQualityAppSpecification"]["imageUri"]


def test_model_quality_job_reads_ground_truth(plans: dict[str, Plan]) -> None:
    job = plans["prod"].get("aws-native:sagemaker:ModelQualityJobDefinition", "recsys-prod-fraud-quality-job").inputs
    assert job["modelQualityAppSpecification"]["problemType"] == "BinaryClassification"
    assert job["modelQualityJobInput"]["groundTruthS3Input"] == {"s3Uri": "s3://recsys-artifacts/labels/fraud/"}
    assert job["networkConfig"]["enableNetworkIsolation"] is True
    assert job["modelQualityJobOutputConfig"]["kmsKeyId"] == UNKNOWN_TEXT


def test_dev_has_no_vpc_for_monitors(plans: dict[str, Plan]) -> None:
    job = (
        plans["dev"]
        .get("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition", "recsys-dev-ranker-data-job")
        .inputs
    )
    assert "vpcConfig" not in job["networkConfig"]


def test_dashboard_is_built_from_the_plans_names(plans: dict[str, Plan]) -> None:
    dashboard = plans["prod"].get("aws:cloudwatch/dashboard:Dashboard", "recsys-prod-dashboard").inputs
    assert dashboard["dashboardName"] == "recsys-prod"
    body = json.loads(dashboard["dashboardBody"])
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert "recsys-prod-ranker: p99 model latency (µs)" in titles
    assert "recsys-prod-assistant-llm: GPU utilisation (% x GPUs)" in titles
    assert "recsys-prod-fraud-scorer: GPU utilisation (% x GPUs)" not in titles  # CPU instances
    assert "recsys-prod-ranker: Drift violations (monitoring runs)" in titles
    ranker_latency = next(
        w for w in body["widgets"] if w["properties"]["title"] == "recsys-prod-ranker: p99 model latency (µs)"
    )
    assert ranker_latency["properties"]["metrics"][1][:6] == [
        "AWS/SageMaker",
        "ModelLatency",
        "EndpointName",
        "recsys-prod-ranker",
        "VariantName",
        "challenger",
    ]
    drift = next(
        w
        for w in body["widgets"]
        if w["properties"]["title"] == "recsys-prod-ranker: Drift violations (monitoring runs)"
    )
    assert drift["properties"]["metrics"][0][3] == "recsys-prod-ranker-data-violations"
    # Every endpoint in the plan, and nothing else, has a row.
    names = {w["properties"]["title"].split(":")[0] for w in body["widgets"]}
    endpoints = {r.inputs["endpointName"] for r in plans["prod"].by_type("aws-native:sagemaker:Endpoint")}
    assert names == endpoints
