"""DriftJob: a scheduled drift check on EKS (a CronJob), for what SageMaker Model Monitor cannot see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from components.kubernetes.identity import PodIamArgs


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


class DriftJob(pulumi.ComponentResource):
    """A CronJob that never overlaps, with a least-privilege role and an alarm on missing reports."""

    cron_job_name: pulumi.Output[str]
    """Kubernetes name of the CronJob."""
    alarm_arn: pulumi.Output[str] | None
    """ARN of the missing-report alarm, when `alarm_topic_arn` is set."""
