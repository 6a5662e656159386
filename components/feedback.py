"""FeedbackApi: an IAM-authenticated HTTP API that lands production feedback in the artifact bucket.

Production answers a SageMaker inference ("clicked", "the fraud score was wrong") by posting to
`POST <api_endpoint>/feedback`, signed with SigV4 for `execute-api`. A Lambda function validates the
payload (see `components/feedback_handler/handler.py` for the contract) and writes one record to a
Firehose stream, which delivers newline-delimited JSON to
`s3://<artifact bucket>/feedback/<endpoint>/<yyyy>/<MM>/<dd>/`, encrypted with the platform key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi

from mlstack.components import naming
from mlstack.components.feedback_handler.handler import DEFAULT_MAX_BODY_BYTES, ROUTE_METHOD, ROUTE_PATH
from mlstack.components.options import child_options, replacement_options
from mlstack.components.sdk import aws

HANDLER_FILE = Path(__file__).resolve().parent / "feedback_handler" / "handler.py"
ROUTE_KEY = f"{ROUTE_METHOD} {ROUTE_PATH}"
FEEDBACK_PREFIX = "feedback"
ERROR_PREFIX = "feedback-errors"
# Firehose dynamic partitioning: the jq query names the partition key, the prefix uses it.
# The handler admits only the configured endpoint names, so the key cannot escape feedback/.
S3_PREFIX = f"{FEEDBACK_PREFIX}/!{{partitionKeyFromQuery:endpoint}}/!{{timestamp:yyyy/MM/dd}}/"
S3_ERROR_PREFIX = f"{ERROR_PREFIX}/!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/"
PARTITION_QUERY = "{endpoint:.endpoint}"
STREAM_LOG_STREAM = naming.FEEDBACK_DELIVERY_LOG_STREAM

_ENDPOINT_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
# A Firehose record is at most 1,000 KiB; the record adds received_at and request_id to the body.
_MAX_RECORD_BODY = 1_000 * 1_024 - 1_024


@dataclass
class FeedbackApiArgs:
    """Inputs of a FeedbackApi."""

    name_prefix: str
    """Physical name prefix, e.g. "recsys-prod"; the API, function, stream and roles start with it."""
    endpoints: Sequence[str]
    """Blueprint endpoint names that accept feedback; each gets feedback/<endpoint>/ in the bucket."""
    bucket_name: pulumi.Input[str]
    """Artifact bucket that receives the feedback."""
    kms_key_arn: pulumi.Input[str]
    """Platform key: encrypts the Firehose stream and the objects it writes."""
    key_alias: str
    """Alias of the platform key ("alias/mlstack/<prefix>"); IAM policies name the key through it."""
    account_id: pulumi.Input[str]
    """AWS account of the platform, for ARNs and the Firehose role's external id."""
    partition: pulumi.Input[str]
    """AWS partition (aws, aws-cn, aws-us-gov), for ARNs."""
    region: str
    """AWS region of the platform."""
    tags: Mapping[str, str]
    """Tags the platform owns; merged last on every resource."""
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    """Caller tags; the platform's own `tags` win on conflict."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """Largest request body the function accepts; larger ones get 413."""
    log_retention_days: int = naming.OTHER_LOG_DAYS
    """Retention of the function's, the API's and the stream's log groups."""
    buffer_seconds: int = 300
    """How long Firehose buffers before writing an object (60-900; dynamic partitioning needs 60+)."""
    throttle_rate_per_second: float = 50.0
    """Steady-state request rate of the API; the excess gets 429 instead of reaching Lambda."""
    throttle_burst: int = 100
    """Burst of requests the API admits above the steady rate."""


def feedback_names(name_prefix: str, region: str) -> dict[str, str]:
    """Physical names of the FeedbackApi's resources; stable, so that callers and alarms can name them."""
    return {role: name for role, (_, name) in naming.feedback_resource_names(name_prefix, region).items()}


def validate_args(args: FeedbackApiArgs) -> list[str]:
    """Every problem with `args`, so that a caller sees them all before anything is created."""
    problems: list[str] = []
    for rule, name in naming.feedback_resource_names(args.name_prefix, args.region).values():
        problem = rule.problem(name)
        if problem:
            problems.append(f"name_prefix {args.name_prefix!r}: {rule.kind} name {name!r} {problem}")
    if not args.endpoints:
        problems.append("endpoints is empty: at least one endpoint must accept feedback")
    seen: set[str] = set()
    for endpoint in args.endpoints:
        # Endpoint names become S3 prefixes and a comma-separated environment variable.
        if not _ENDPOINT_PATTERN.fullmatch(endpoint):
            problems.append(f"endpoint {endpoint!r} must be lower-case letters, digits and inner hyphens")
        if endpoint in seen:
            problems.append(f"endpoint {endpoint!r} is listed twice")
        seen.add(endpoint)
    if not 1 <= args.max_body_bytes <= _MAX_RECORD_BODY:
        problems.append(f"max_body_bytes must be 1 to {_MAX_RECORD_BODY} (a Firehose record is at most 1,000 KiB)")
    if args.log_retention_days not in naming.LOG_RETENTION_DAYS:
        problems.append(
            f"log_retention_days {args.log_retention_days} is not a CloudWatch retention; "
            f"one of {', '.join(str(d) for d in sorted(naming.LOG_RETENTION_DAYS))}"
        )
    if not 60 <= args.buffer_seconds <= 900:
        problems.append(f"buffer_seconds must be 60 to 900 with dynamic partitioning, got {args.buffer_seconds}")
    if args.throttle_rate_per_second <= 0 or args.throttle_burst < 1:
        problems.append("throttle_rate_per_second and throttle_burst must be positive")
    return problems


class FeedbackApi(pulumi.ComponentResource):
    """HTTP API (IAM auth) -> Lambda (validation) -> Firehose -> s3://<bucket>/feedback/<endpoint>/."""

    api_endpoint: pulumi.Output[str]
    """Base URL of the API; feedback goes to POST <api_endpoint>/feedback, SigV4-signed for execute-api."""
    api_id: pulumi.Output[str]
    route_arn: pulumi.Output[str]
    """execute-api ARN of POST /feedback: grant producers `execute-api:Invoke` on it."""
    delivery_stream_name: pulumi.Output[str]
    function_name: pulumi.Output[str]

    def __init__(self, name: str, args: FeedbackApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_args(args)
        if problems:
            raise ValueError("invalid FeedbackApi arguments:\n" + "\n".join(f"- {p}" for p in problems))
        super().__init__("mlstack:feedback:FeedbackApi", name, None, opts)
        child = child_options(self, opts)
        tags = {**args.extra_tags, **args.tags}
        names = feedback_names(args.name_prefix, args.region)
        account_id = pulumi.Output.from_input(args.account_id)
        partition = pulumi.Output.from_input(args.partition)
        # ARNs derived from names rather than read back from resources, so that every policy is
        # known at preview and the offline policy checks can read it.
        stream_arn = pulumi.Output.concat(
            "arn:", partition, ":firehose:", args.region, ":", account_id, ":deliverystream/", names["stream"]
        )
        bucket_arn = pulumi.Output.concat("arn:", partition, ":s3:::", args.bucket_name)

        # --- Firehose: DirectPut -> s3://<bucket>/feedback/<endpoint>/ ------------------------------
        # Log groups are encrypted with the platform key: the foundation's key policy admits
        # logs.<region>.amazonaws.com for this account's log groups, which IAM policies cannot grant.
        # The handler logs refusal reasons and inference ids, never request bodies.
        stream_logs = aws.cloudwatch.LogGroup(
            f"{name}-stream-logs",
            name=names["stream_logs"],
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=tags,
            opts=child,
        )
        stream_log_stream = aws.cloudwatch.LogStream(
            f"{name}-stream-log-stream", name=STREAM_LOG_STREAM, log_group_name=stream_logs.name, opts=child
        )
        firehose_role = aws.iam.Role(
            f"{name}-firehose-role",
            name=names["firehose_role"],
            description=f"Firehose {names['stream']}: writes feedback/ in the artifact bucket",
            assume_role_policy=account_id.apply(_firehose_trust_policy),
            tags=tags,
            # Roles are replaced only under a new name (name and path are their only ForceNew inputs),
            # and the stream and function take a new role in place: create the new role first.
            opts=replacement_options(child),
        )
        firehose_policy = aws.iam.RolePolicy(
            f"{name}-firehose-policy",
            name=names["firehose_policy"],
            role=firehose_role.id,
            policy=pulumi.Output.all(bucket_arn, account_id, partition).apply(
                lambda values: _firehose_policy(
                    bucket_arn=values[0],
                    account_id=values[1],
                    partition=values[2],
                    region=args.region,
                    key_alias=args.key_alias,
                    log_group=names["stream_logs"],
                )
            ),
            # Replaced only on a new role or name, so the old policy can stay until the new one exists.
            opts=replacement_options(child),
        )
        # Role ARNs from their names rather than read back: known at preview, so a plan shows what a
        # renamed role changes.
        firehose_role_arn = pulumi.Output.all(partition, account_id, firehose_role.name).apply(
            lambda values: naming.role_arn(*values)
        )
        stream = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-stream",
            name=names["stream"],
            destination="extended_s3",
            # With a customer key Firehose creates (and retires) its own KMS grant at creation, with
            # the deployer's permissions; producers need no KMS permission to put records.
            server_side_encryption={"enabled": True, "key_type": "CUSTOMER_MANAGED_CMK", "key_arn": args.kms_key_arn},
            extended_s3_configuration=_s3_destination(
                args, bucket_arn, firehose_role_arn, stream_logs.name, stream_log_stream.name
            ),
            tags=tags,
            # Firehose checks that its role can write before it accepts the configuration.
            opts=child_options(self, opts, [firehose_policy]),
        )

        # --- Lambda: validate, then PutRecord --------------------------------------------------------
        function_logs = aws.cloudwatch.LogGroup(
            f"{name}-function-logs",
            name=names["function_logs"],
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=tags,
            opts=child,
        )
        lambda_role = aws.iam.Role(
            f"{name}-lambda-role",
            name=names["lambda_role"],
            description=f"Lambda {names['function']}: puts records on {names['stream']}, writes its logs",
            assume_role_policy=json.dumps(_LAMBDA_TRUST_POLICY, sort_keys=True),
            tags=tags,
            opts=replacement_options(child),
        )
        lambda_policy = aws.iam.RolePolicy(
            f"{name}-lambda-policy",
            name=names["lambda_policy"],
            role=lambda_role.id,
            policy=pulumi.Output.all(stream_arn, account_id, partition).apply(
                lambda values: _lambda_policy(
                    stream_arn=values[0],
                    account_id=values[1],
                    partition=values[2],
                    region=args.region,
                    log_group=names["function_logs"],
                )
            ),
            opts=replacement_options(child),
        )
        environment: aws.lambda_.FunctionEnvironmentArgsDict = {
            "variables": {
                "ALLOWED_ENDPOINTS": ",".join(sorted(args.endpoints)),
                "DELIVERY_STREAM": names["stream"],
                "MAX_BODY_BYTES": str(args.max_body_bytes),
            }
        }
        function = aws.lambda_.Function(
            f"{name}-function",
            name=names["function"],
            description="mlstack feedback API: validates feedback and writes it to Firehose",
            role=pulumi.Output.all(partition, account_id, lambda_role.name).apply(
                lambda values: naming.role_arn(*values)
            ),
            runtime="python3.12",
            architectures=["arm64"],
            handler="handler.handler",
            code=pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(HANDLER_FILE))}),
            memory_size=256,
            # Below the integration timeout, so API Gateway relays our answer rather than its own 503.
            timeout=10,
            environment=environment,
            logging_config={"log_format": "JSON", "log_group": function_logs.name},
            tags=tags,
            # The log group must exist first, or Lambda creates it itself without retention.
            opts=child_options(self, opts, [function_logs, lambda_policy]),
        )

        # --- API Gateway: POST /feedback, IAM auth only ----------------------------------------------
        api = aws.apigatewayv2.Api(
            f"{name}-api",
            name=names["api"],
            protocol_type="HTTP",
            description="mlstack feedback API (IAM auth): POST /feedback",
            tags=tags,
            opts=child,
        )
        access_logs = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=names["access_logs"],
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=tags,
            opts=child,
        )
        default_route: aws.apigatewayv2.StageDefaultRouteSettingsArgsDict = {
            "throttling_rate_limit": args.throttle_rate_per_second,
            "throttling_burst_limit": args.throttle_burst,
        }
        aws.apigatewayv2.Stage(
            f"{name}-stage",
            api_id=api.id,
            # $default serves at the API's base URL, so the invoke URL is api_endpoint + /feedback.
            name="$default",
            auto_deploy=True,
            default_route_settings=default_route,
            access_log_settings={"destination_arn": access_logs.arn, "format": _ACCESS_LOG_FORMAT},
            tags=tags,
            opts=child,
        )
        integration = aws.apigatewayv2.Integration(
            f"{name}-integration",
            api_id=api.id,
            integration_type="AWS_PROXY",
            integration_method="POST",
            integration_uri=function.arn,
            payload_format_version="2.0",
            timeout_milliseconds=15_000,
            opts=child,
        )
        aws.apigatewayv2.Route(
            f"{name}-route",
            api_id=api.id,
            route_key=ROUTE_KEY,
            # Producers sign with SigV4; only principals granted execute-api:Invoke get through.
            authorization_type="AWS_IAM",
            target=pulumi.Output.concat("integrations/", integration.id),
            opts=child,
        )
        execute_api_arn = pulumi.Output.concat(
            "arn:", partition, ":execute-api:", args.region, ":", account_id, ":", api.id
        )
        aws.lambda_.Permission(
            f"{name}-invoke-permission",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="apigateway.amazonaws.com",
            # Only this API's POST /feedback may invoke the function, on any stage:
            # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
            source_arn=pulumi.Output.concat(execute_api_arn, "/*/", ROUTE_METHOD, ROUTE_PATH),
            opts=child,
        )

        self.api_endpoint = api.api_endpoint
        self.api_id = api.id
        self.route_arn = pulumi.Output.concat(execute_api_arn, "/$default/", ROUTE_METHOD, ROUTE_PATH)
        self.delivery_stream_name = stream.name
        self.function_name = function.name
        self.register_outputs(
            {
                "api_endpoint": self.api_endpoint,
                "api_id": self.api_id,
                "route_arn": self.route_arn,
                "delivery_stream_name": self.delivery_stream_name,
                "function_name": self.function_name,
            }
        )


# One JSON line per request; the caller's IAM identity makes the log an audit trail.
_ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "caller": "$context.identity.userArn",
        "sourceIp": "$context.identity.sourceIp",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationError": "$context.integrationErrorMessage",
    },
    sort_keys=True,
)

_LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _s3_destination(
    args: FeedbackApiArgs,
    bucket_arn: pulumi.Input[str],
    role_arn: pulumi.Input[str],
    log_group: pulumi.Input[str],
    log_stream: pulumi.Input[str],
) -> aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgsDict:
    return {
        "bucket_arn": bucket_arn,
        "role_arn": role_arn,
        "prefix": S3_PREFIX,
        "error_output_prefix": S3_ERROR_PREFIX,
        "kms_key_arn": args.kms_key_arn,
        # Dynamic partitioning requires a buffer of at least 64 MiB.
        "buffering_size": 64,
        "buffering_interval": args.buffer_seconds,
        "compression_format": "GZIP",
        "file_extension": ".json.gz",
        "dynamic_partitioning_configuration": {"enabled": True, "retry_duration": 300},
        "processing_configuration": {
            "enabled": True,
            "processors": [
                {
                    "type": "MetadataExtraction",
                    "parameters": [
                        {"parameter_name": "MetadataExtractionQuery", "parameter_value": PARTITION_QUERY},
                        {"parameter_name": "JsonParsingEngine", "parameter_value": "JQ-1.6"},
                    ],
                }
            ],
        },
        "cloudwatch_logging_options": {"enabled": True, "log_group_name": log_group, "log_stream_name": log_stream},
    }


def _firehose_trust_policy(account_id: str) -> str:
    # sts:ExternalId = our account stops another account's stream from using this role (confused
    # deputy): https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "firehose.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": account_id}},
                }
            ],
        },
        sort_keys=True,
    )


def _dns_suffix(partition: str) -> str:
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def _firehose_policy(
    *, bucket_arn: str, account_id: str, partition: str, region: str, key_alias: str, log_group: str
) -> str:
    statements: list[dict[str, object]] = [
        {
            "Sid": "FeedbackObjects",
            "Effect": "Allow",
            "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            "Resource": [f"{bucket_arn}/{FEEDBACK_PREFIX}/*", f"{bucket_arn}/{ERROR_PREFIX}/*"],
        },
        {
            # Bucket-level calls of AWS's Firehose-to-S3 policy; none of them reads an object.
            "Sid": "FeedbackBucket",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
            "Resource": [bucket_arn],
        },
        {
            # Only through S3 (the objects' SSE-KMS). No encryption-context condition: the bucket uses
            # an S3 Bucket Key, whose context is the bucket's ARN, not the object's.
            "Sid": "PlatformKeyViaS3",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": [f"arn:{partition}:kms:{region}:{account_id}:key/*"],
            "Condition": {
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": key_alias},
                "StringEquals": {"kms:ViaService": f"s3.{region}.{_dns_suffix(partition)}"},
            },
        },
        {
            "Sid": "DeliveryErrorLogs",
            "Effect": "Allow",
            "Action": ["logs:PutLogEvents"],
            "Resource": [
                f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group}:log-stream:{STREAM_LOG_STREAM}"
            ],
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def _lambda_policy(*, stream_arn: str, account_id: str, partition: str, region: str, log_group: str) -> str:
    statements: list[dict[str, object]] = [
        {"Sid": "PutFeedback", "Effect": "Allow", "Action": ["firehose:PutRecord"], "Resource": [stream_arn]},
        {
            # The log group is ours (created with retention), so the function need not create it.
            # `<group>:*` is the form AWS documents for a function's own log streams:
            # https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group}:*"],
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
