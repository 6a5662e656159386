"""DriftJob: a scheduled drift check on EKS (a CronJob), for what SageMaker Model Monitor cannot see.

The job reads `source` (for example the requests a serverless endpoint cannot capture), compares
them with its baseline inside the image, and writes a report under `report_uri`. The image gets
`DRIFT_SOURCE_URI`, `DRIFT_REPORT_URI`, `ALARM_TOPIC_ARN` (when set) and `POD_NAME`; its role can
read `source`, write under `report_uri`, and publish to the on-call topic, nothing else.
Runs never overlap (`concurrencyPolicy: Forbid`); a run gets `backoff_limit` retries and
`deadline_seconds` in total, then counts as failed.

How a failed run reaches on-call (the SNS topic `alarm_topic_arn`), in two layers:

1. Immediately, from inside the pod, when the caller names the image's entrypoint (`command`):
   the container runs it under a POSIX-shell wrapper that forwards SIGTERM (a deadline kill) to it
   and, when it exits non-zero (a crash, an OOM-killed child, a deadline), publishes one message
   with the job, pod and exit status via `aws sns publish`. The role may `sns:Publish` to exactly
   that topic and use the platform key through SNS. Needs `/bin/sh` and the AWS CLI v2 in the
   image. Without `command`, the image's own entrypoint runs unwrapped, and it may publish to
   `ALARM_TOPIC_ARN` itself.
2. Always, from outside the cluster: a dead man's switch. An S3 request-metrics filter on the
   report prefix (`aws.s3.BucketMetric`) makes S3 publish `AWS/S3 PutRequests` for exactly that
   prefix, and a CloudWatch alarm fires when no report was written for longer than the
   schedule's longest gap plus the deadline plus 15 minutes, treating missing data as breaching.
   This catches what the pod cannot report: image pulls that fail, pods that never schedule, a
   suspended CronJob, a cluster that is down, a wrapper that could not publish. It sends OK to
   the topic when reports resume. It fires on a stale report, not on each failed run: with an
   hourly schedule and a one-hour deadline, one failed run between two good ones stays within
   the window; layer 1 reports that one.

Unverified here (no cluster, no AWS account): S3 request metrics are published at 1-minute
granularity within minutes (AWS documents "some latency") and are billed as CloudWatch custom
metrics; `PutRequests` counts the PUTs of a multipart upload's parts as well as PutObject, so a
report written either way resets the alarm. Read in this repository, not run: the publisher needs
the platform key through SNS (granted by the role, and the platform key's policy delegates to the
account's IAM policies), and CloudWatch may use the key for the encrypted topic (the key policy's
`CloudWatchAlarmsToEncryptedTopic` statement in `components/foundation.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from mlstack.components.kubernetes.cron import missing_run_alarm_window, parse
from mlstack.components.kubernetes.identity import PodIamArgs, pod_role
from mlstack.components.kubernetes.labels import is_dns_1123_label, label_problems, object_metadata, selector_labels
from mlstack.components.kubernetes.network import workload_policy_spec
from mlstack.components.kubernetes.pod_security import Manifest, secure_container, secure_pod_spec, wire
from mlstack.components.options import child_options
from mlstack.components.policy_documents import s3_bucket_and_key
from mlstack.components.sdk import aws, k8s

COMPONENT = "drift"
MAX_CRONJOB_NAME = 52
# Runs the image's entrypoint ("$@"), forwards SIGTERM to it, and reports a non-zero exit.
FAILURE_WRAPPER = """set -u
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
wait "$child"
status=$?
if kill -0 "$child" 2>/dev/null; then wait "$child"; status=$?; fi
if [ "$status" -ne 0 ] && [ -n "${ALARM_TOPIC_ARN:-}" ]; then
  message="Drift job $DRIFT_JOB (pod $POD_NAME) exited with status $status. Report: $DRIFT_REPORT_URI"
  aws sns publish --topic-arn "$ALARM_TOPIC_ARN" --subject "mlstack drift job failed" --message "$message" ||
    echo "mlstack: could not publish the failure to $ALARM_TOPIC_ARN" >&2
fi
exit "$status"
"""


@dataclass(frozen=True)
class DriftJobArgs:
    """Inputs of a DriftJob."""

    name: str
    """Kubernetes name of the CronJob and its service account (at most 52 characters: the CronJob
    controller appends an 11-character suffix to its Jobs)."""
    namespace: str
    """Namespace the job runs in (never `default`)."""
    image: str
    """Drift-check image; pin it by digest to pass CKV_K8S_43."""
    source: str
    """`s3://` URI the job reads (captured requests, a prefix ending in `/`)."""
    report_uri: pulumi.Input[str]
    """`s3://bucket/drift/<name>/`: where each run writes its report; the job may write only here."""
    schedule: str
    """5-field cron schedule in the cluster's time zone (UTC on EKS), e.g. "0 * * * *"."""
    cpu: str = "1"
    """CPU request and limit."""
    memory: str = "2Gi"
    """Memory request and limit."""
    deadline_seconds: int = 3600
    """activeDeadlineSeconds: a run still going after this long is killed and counts as failed."""
    backoff_limit: int = 2
    """Retries of a failed pod before the run counts as failed."""
    iam: PodIamArgs | None = None
    """AWS role of the job; its read/write prefixes and key come from here, `source` and
    `report_uri` are added to them."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """On-call SNS topic: failed and missing runs alarm here (see the module docstring)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra Kubernetes labels of every object; mlstack's own labels win."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Extra Kubernetes annotations of every object."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Platform tags: AWS tags of the role, alarm and association; labels where valid label syntax."""
    command: Sequence[str] = ()
    """The image's entrypoint and arguments. When given, the container runs it through a POSIX-shell
    wrapper that publishes a failed run to `alarm_topic_arn` at once (the image then needs `/bin/sh`
    and the AWS CLI v2); empty runs the image's own entrypoint unwrapped and relies on the alarm."""
    alarm_name: str | None = None
    """Physical name of the missing-report alarm; default `<namespace>-<name>-drift-report-missing`."""
    metrics_filter_id: str | None = None
    """Id of the S3 request-metrics filter on the report bucket (at most 64 characters, unique per
    bucket); default `drift-<name>`."""

    starting_deadline_seconds: int = 600
    """A run that could not start within this long of its time (controller down) is skipped."""


class DriftJob(pulumi.ComponentResource):
    """A CronJob that never overlaps, with a least-privilege role and an alarm on missing reports."""

    cron_job_name: pulumi.Output[str]
    """Kubernetes name of the CronJob."""
    alarm_arn: pulumi.Output[str] | None
    """ARN of the missing-report alarm, when `alarm_topic_arn` is set."""

    def __init__(self, name: str, args: DriftJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_drift_args(args)
        if problems:
            raise ValueError(f"{name}: " + "; ".join(problems))
        super().__init__("mlstack:kubernetes:DriftJob", name, None, opts)
        child = child_options(self, opts)
        pods = selector_labels(args.name, COMPONENT)

        def metadata(extra_annotations: Mapping[str, Any] = {}) -> Manifest:
            annotations: dict[str, Any] = dict(args.annotations)
            annotations.update(extra_annotations)
            return object_metadata(
                name=args.name,
                namespace=args.namespace,
                component=COMPONENT,
                labels=args.labels,
                annotations=annotations,
                tags=args.tags,
            )

        role = (
            pod_role(
                name,
                self,
                opts,
                args.iam,
                namespace=args.namespace,
                service_account=args.name,
                description=f"Drift job {args.namespace}/{args.name}: its source, its report prefix, on-call",
                tags=args.tags,
                extra_read=[args.source],
                extra_write=[args.report_uri],
                topic_arn=args.alarm_topic_arn,
            )
            if args.iam is not None
            else None
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=wire(metadata(role.service_account_annotations if role else {})),
            automount_service_account_token=False,
            opts=child,
        )
        environment: dict[str, Any] = {
            "DRIFT_JOB": f"{args.namespace}/{args.name}",
            "DRIFT_SOURCE_URI": args.source,
            "DRIFT_REPORT_URI": args.report_uri,
        }
        if args.alarm_topic_arn is not None:
            environment["ALARM_TOPIC_ARN"] = args.alarm_topic_arn
        container = secure_container(
            name="drift",
            image=args.image,
            cpu=args.cpu,
            memory=args.memory,
            liveness=None,
            readiness=None,
            command=["/bin/sh", "-c", FAILURE_WRAPPER, "drift-wrapper"] if args.command else [],
            args=list(args.command),
            env=environment,
            field_env={"POD_NAME": "metadata.name"},
            cache_path="/opt/ml/processing",
        )
        pod_spec = secure_pod_spec(
            containers=[container],
            service_account_name=args.name,
            restart_policy="Never",
            # The wrapper's publish must fit between SIGTERM and SIGKILL.
            termination_grace_seconds=60,
        )
        template_meta = metadata()
        pod_metadata: Manifest = {"labels": {**template_meta["labels"], **pods}}
        if "annotations" in template_meta:
            pod_metadata["annotations"] = template_meta["annotations"]
        k8s.batch.v1.CronJob(
            f"{name}-cron-job",
            metadata=wire(metadata()),
            spec=wire(
                {
                    "schedule": args.schedule,
                    "timeZone": "Etc/UTC",
                    "concurrencyPolicy": "Forbid",
                    "startingDeadlineSeconds": args.starting_deadline_seconds,
                    "successfulJobsHistoryLimit": 3,
                    "failedJobsHistoryLimit": 5,
                    "suspend": False,
                    "jobTemplate": {
                        "metadata": pod_metadata,
                        "spec": {
                            "backoffLimit": args.backoff_limit,
                            "activeDeadlineSeconds": args.deadline_seconds,
                            "template": {"metadata": pod_metadata, "spec": pod_spec},
                        },
                    },
                }
            ),
            opts=child_options(self, opts, [account, *(role.dependencies if role else [])]),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata=wire(metadata()),
            spec=wire(
                workload_policy_spec(
                    pod_labels=pods,
                    ingress_from=[],
                    ingress_port=None,
                    pod_identity=args.iam is not None and args.iam.mode == "pod-identity",
                )
            ),
            opts=child,
        )
        self.alarm_arn = None
        if args.alarm_topic_arn is not None:
            self.alarm_arn = self._missing_report_alarm(name, args, args.alarm_topic_arn, opts)
        self.cron_job_name = pulumi.Output.from_input(args.name)
        self.register_outputs({"cron_job_name": self.cron_job_name, "alarm_arn": self.alarm_arn})

    def _missing_report_alarm(
        self, name: str, args: DriftJobArgs, topic_arn: pulumi.Input[str], opts: pulumi.ResourceOptions | None
    ) -> pulumi.Output[str]:
        """Layer 2 of the module docstring: S3 request metrics on the report prefix, and their alarm."""
        period, periods = missing_run_alarm_window(args.schedule, args.deadline_seconds)
        filter_id = args.metrics_filter_id or f"drift-{args.name}"
        location = pulumi.Output.from_input(args.report_uri).apply(s3_bucket_and_key)
        bucket = location.apply(lambda value: value[0])
        metric = aws.s3.BucketMetric(
            f"{name}-report-metrics",
            bucket=bucket,
            name=filter_id,
            filter={"prefix": location.apply(lambda value: value[1])},
            opts=child_options(self, opts),
        )
        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-report-missing",
            name=args.alarm_name or f"{args.namespace}-{args.name}-drift-report-missing",
            alarm_description=(
                f"No drift report from {args.namespace}/{args.name} ({args.schedule}) under its report prefix "
                f"for {period * periods // 60} minutes: runs are failing or not starting."
            ),
            namespace="AWS/S3",
            metric_name="PutRequests",
            dimensions={"BucketName": bucket, "FilterId": filter_id},
            statistic="Sum",
            period=period,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            threshold=1,
            comparison_operator="LessThanThreshold",
            # No PUT in a period means no datapoint at all: that is the signal, not a gap in it.
            treat_missing_data="breaching",
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            tags=dict(args.tags),
            opts=child_options(self, opts, [metric]),
        )
        return alarm.arn


def validate_drift_args(args: DriftJobArgs) -> list[str]:
    """Every problem with `args`, each naming its field; empty when the job can be created."""
    problems: list[str] = []
    if not is_dns_1123_label(args.name) or len(args.name) > MAX_CRONJOB_NAME:
        problems.append(
            f"name {args.name!r} must be a DNS-1123 label of at most {MAX_CRONJOB_NAME} characters "
            "(the CronJob controller appends 11 to name its Jobs)"
        )
    if not is_dns_1123_label(args.namespace) or args.namespace == "default":
        problems.append(f"namespace {args.namespace!r} must be a DNS-1123 label other than 'default'")
    try:
        parse(args.schedule)
    except ValueError as error:
        problems.append(f"schedule {args.schedule!r}: {error}")
    else:
        if args.alarm_topic_arn is not None and args.deadline_seconds > 0:
            try:
                missing_run_alarm_window(args.schedule, args.deadline_seconds)
            except ValueError as error:
                problems.append(f"schedule: {error}")
    if not args.source.startswith("s3://"):
        problems.append(f"source {args.source!r} must be an s3:// URI")
    if isinstance(args.report_uri, str) and not (args.report_uri.startswith("s3://") and args.report_uri.endswith("/")):
        problems.append(f"report_uri {args.report_uri!r} must be an s3:// prefix ending in '/'")
    if args.deadline_seconds <= 0:
        problems.append(f"deadline_seconds {args.deadline_seconds} must be positive")
    if args.backoff_limit < 0:
        problems.append(f"backoff_limit {args.backoff_limit} must not be negative")
    if args.alarm_name is not None and not 1 <= len(args.alarm_name) <= 255:
        problems.append("alarm_name must have 1-255 characters (botocore cloudwatch AlarmName)")
    filter_id = args.metrics_filter_id or f"drift-{args.name}"
    if len(filter_id) > 64:
        problems.append(f"metrics filter id {filter_id!r} has more than 64 characters")
    return problems + label_problems(args.labels, "labels")
