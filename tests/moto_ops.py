"""A moto-backed AWS for testing the day-2 operations commands (`mlstack status/shift/promote/rollback`).

Three pieces:

- `moto_server()`: a real moto server in this process, on 127.0.0.1 and a free port, with the
  SageMaker gaps of moto 5.2.5 that those commands would hit closed by patching moto's classes
  (`patch_moto`; each patch names the gap and the SageMaker API behaviour it restores).
- `FaultProxy`: an HTTP reverse proxy in front of it that throttles, fails, denies or rewrites
  chosen operations on the wire, so that commands run in-process or as subprocesses (with
  `AWS_ENDPOINT_URL=<proxy url>`) see AWS-shaped errors through botocore's own retries.
- `deploy(plan, ...)`: the serving resources of an offline plan created on moto, from the very
  requests `tests/api_oracle.py` derives from the plan (so the names are the ones `pulumi up` uses).

moto keeps its state in process-wide backends: two servers in one process share it, and `reset()`
on either clears both (and any `mock_aws` state).
"""

from __future__ import annotations

import collections
import copy
import functools
import http.client
import json
import logging
import os
import re
import threading
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, cast
from xml.sax.saxutils import escape

import boto3  # type: ignore[import-untyped, unused-ignore]
import botocore
import botocore.loaders
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

from mlstack.stack.plan.engine import Plan
from tests.api_oracle import ApiRequest, translate

ACCOUNT = "123456789012"
"""The account moto answers as for any access key it does not know (e.g. "testing")."""

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

# botocore's names of the services the commands call, which are also their IAM action prefixes.
SERVICES = ("sagemaker", "cloudwatch", "application-autoscaling", "ssm")


# --- moto 5.2.5's SageMaker gaps -------------------------------------------------------------------
#
# Found by reading moto/sagemaker/{models,responses}.py of moto 5.2.5 and calling it through boto3.
# Checked and left alone, because moto already does what AWS does: DescribeEndpointConfig (has
# CreationTime), CloudWatch PutMetricAlarm/DescribeAlarms/SetAlarmState (metric-math `Metrics` kept),
# RegisterScalableTarget/DescribeScalableTargets/PutScalingPolicy on sagemaker:variant:DesiredInstanceCount,
# and SSM PutParameter (ParameterAlreadyExists without Overwrite), GetParameter, GetParametersByPath,
# DeleteParameter (ParameterNotFound).


def _endpoint_arn(backend: SageMakerModelBackend, name: str) -> str:
    return FakeEndpoint.arn_formatter(name, backend.account_id, backend.region_name)


def _config_arn(backend: SageMakerModelBackend, name: str) -> str:
    return FakeEndpointConfig.arn_formatter(name, backend.account_id, backend.region_name)


def _process_production_variants(self: FakeEndpoint, production_variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Gap: FakeEndpoint._process_production_variants (models.py:480 and :488) tests the initial count
    # and weight for truthiness, so a variant created with InitialVariantWeight 0 (a valid weight: the
    # variant gets no traffic) shows no CurrentWeight/DesiredWeight in DescribeEndpoint. AWS reports 0.
    variants = []
    for variant in production_variants:
        summary: dict[str, Any] = {"VariantName": variant["VariantName"]}
        if variant.get("InitialInstanceCount") is not None:
            summary["CurrentInstanceCount"] = summary["DesiredInstanceCount"] = variant["InitialInstanceCount"]
        if variant.get("InitialVariantWeight") is not None:
            summary["CurrentWeight"] = summary["DesiredWeight"] = variant["InitialVariantWeight"]
        if variant.get("ServerlessConfig") is not None:
            summary["CurrentServerlessConfig"] = summary["DesiredServerlessConfig"] = variant["ServerlessConfig"]
        variants.append(summary)
    return variants


# Which live members each UpdateEndpointWeightsAndCapacities member (and VariantPropertyType) governs.
_VARIANT_PROPERTIES = {
    "DesiredWeight": ("CurrentWeight", "DesiredWeight"),
    "DesiredInstanceCount": ("CurrentInstanceCount", "DesiredInstanceCount"),
}


def _update_endpoint(
    backend: SageMakerModelBackend,
    endpoint_name: str,
    endpoint_config_name: str,
    retain_all_variant_properties: bool,
    exclude_retained_variant_properties: Sequence[Mapping[str, str]],
) -> FakeEndpoint:
    """UpdateEndpoint (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html).

    The endpoint takes the new configuration's variants; with RetainAllVariantProperties, a variant
    present before keeps its live weight and instance count, except the VariantPropertyTypes listed
    in ExcludeRetainedVariantProperties, which come from the configuration. moto applies an update at
    once, so the endpoint is InService again when the call returns (AWS passes through Updating).
    """
    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None:
        raise ValidationError(message=f'Could not find endpoint "{_endpoint_arn(backend, endpoint_name)}".')
    config = backend.endpoint_configs.get(endpoint_config_name)
    if config is None:
        arn = _config_arn(backend, endpoint_config_name)
        raise ValidationError(message=f'Could not find endpoint configuration "{arn}".')
    variants = _process_production_variants(endpoint, config.production_variants)
    if retain_all_variant_properties:
        overridden = {item.get("VariantPropertyType") for item in exclude_retained_variant_properties}
        live = {variant["VariantName"]: variant for variant in endpoint.production_variants}
        for variant in variants:
            before = live.get(variant["VariantName"])
            if before is None:
                continue
            for prop, members in _VARIANT_PROPERTIES.items():
                if prop in overridden:
                    continue
                for member in members:
                    if member in before:
                        variant[member] = before[member]
    endpoint.endpoint_config_name = endpoint_config_name
    endpoint.production_variants = variants
    endpoint.data_capture_config = config.data_capture_config
    endpoint.endpoint_status = "InService"
    endpoint.last_modified_time = utcnow()
    return endpoint


def _update_endpoint_response(self: SageMakerResponse) -> ActionResult:
    # Gap: moto 5.2.5 has no UpdateEndpoint at all (SageMakerResponse has no update_endpoint, so
    # moto/core/responses.py:483 raises NotImplementedError and the client sees HTTP 500).
    endpoint = _update_endpoint(
        self.sagemaker_backend,
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
        retain_all_variant_properties=bool(self._get_param("RetainAllVariantProperties", False)),
        exclude_retained_variant_properties=self._get_param("ExcludeRetainedVariantProperties") or [],
    )
    return ActionResult({"EndpointArn": endpoint.arn})


def _patched_weights_and_capacities(original: Callable[..., str]) -> Callable[..., str]:
    def update_endpoint_weights_and_capacities(
        self: SageMakerModelBackend, endpoint_name: str, desired_weights_and_capacities: list[dict[str, Any]]
    ) -> str:
        # Gap: models.py:4381-4382 assign DesiredInstanceCount/CurrentInstanceCount (and the weights
        # above them) from the request even when it omits them, so a weights-only shift leaves every
        # variant with no instance count. In AWS each of DesiredWeight and DesiredInstanceCount is
        # optional and an omitted one stays as it is. moto's own validation (unknown endpoint or
        # variant, repeated variant) still runs first.
        endpoint = self.endpoints.get(endpoint_name)
        before = {v["VariantName"]: dict(v) for v in endpoint.production_variants} if endpoint else {}
        arn = original(self, endpoint_name, desired_weights_and_capacities)
        assert endpoint is not None  # moto raised otherwise
        for change in desired_weights_and_capacities:
            variant = next(v for v in endpoint.production_variants if v["VariantName"] == change["VariantName"])
            for prop, members in _VARIANT_PROPERTIES.items():
                if change.get(prop) is not None:
                    continue
                for member in members:
                    if member in before[variant["VariantName"]]:
                        variant[member] = before[variant["VariantName"]][member]
                    else:
                        variant.pop(member, None)
        endpoint.last_modified_time = utcnow()
        return arn

    return update_endpoint_weights_and_capacities


def _add_tags(self: SageMakerModelBackend, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    # Gap: models.py:3052 extends the tag list, so re-tagging a key (e.g. the ledger of a rollout)
    # leaves two tags with that key. AWS AddTags "adds or overwrites" tags: keys are unique per resource.
    resource = self._get_resource_from_arn(arn)
    keys = {tag["Key"] for tag in tags}
    resource.tags = [tag for tag in resource.tags if tag["Key"] not in keys] + list(tags)
    return cast(list[dict[str, str]], resource.tags)


def _patched_resource_from_arn(original: Callable[..., Any]) -> Callable[..., Any]:
    def _get_resource_from_arn(self: SageMakerModelBackend, arn: str) -> Any:
        # Gap: models.py:3042 looks the name up with dict.get, so an ARN of a resource that does not
        # exist gives None, and AddTags/ListTags/DeleteTags fail with AttributeError (HTTP 500, which
        # botocore retries). moto meant a ValidationException (its `except KeyError` branch); raise that.
        resource = original(self, arn)
        if resource is None:
            kind, _, name = arn.rsplit(":", 1)[-1].partition("/")
            raise ValidationError(message=f"Could not find {kind} with name {name}")
        return resource

    return _get_resource_from_arn


def _rejecting_existing(
    original: Callable[..., Any],
    kind: str,
    arn_kind: str,
    existing: Callable[[SageMakerModelBackend], Mapping[str, Any]],
) -> Callable[..., Any]:
    # Gap: moto's create_model, create_endpoint_config and create_endpoint (models.py:2975, :3576,
    # :3635) overwrite a resource of the same name. AWS refuses: `Cannot create already existing
    # endpoint configuration "arn:..."` (ValidationException) - which a promote that reuses a name must see.
    def create(self: SageMakerModelBackend, name: str | None = None, /, **kwargs: Any) -> Any:
        key = f"{arn_kind.replace('-', '_')}_name"
        name = name if name is not None else kwargs[key]
        if name in existing(self):
            arn = arn_formatter(arn_kind, name, self.account_id, self.region_name)
            raise ValidationError(message=f'Cannot create already existing {kind} "{arn}".')
        kwargs[key] = name
        return original(self, **kwargs)

    return create


_patch_lock = threading.Lock()
_patched = False


def patch_moto() -> None:
    """Close moto 5.2.5's SageMaker gaps in this process (idempotent); `moto_server` calls it."""
    global _patched  # noqa: PLW0603 - the patches are process-wide, like moto's backends
    with _patch_lock:
        if _patched:
            return
        patches: tuple[tuple[type, str, Callable[..., Any]], ...] = (
            (SageMakerResponse, "update_endpoint", _update_endpoint_response),
            (FakeEndpoint, "_process_production_variants", _process_production_variants),
            (
                SageMakerModelBackend,
                "update_endpoint_weights_and_capacities",
                _patched_weights_and_capacities(SageMakerModelBackend.update_endpoint_weights_and_capacities),
            ),
            (SageMakerModelBackend, "add_tags", _add_tags),
            (
                SageMakerModelBackend,
                "_get_resource_from_arn",
                _patched_resource_from_arn(SageMakerModelBackend._get_resource_from_arn),
            ),
            (
                SageMakerModelBackend,
                "create_model",
                _rejecting_existing(SageMakerModelBackend.create_model, "model", "model", lambda b: b._models),
            ),
            (
                SageMakerModelBackend,
                "create_endpoint_config",
                _rejecting_existing(
                    SageMakerModelBackend.create_endpoint_config,
                    "endpoint configuration",
                    "endpoint-config",
                    lambda b: b.endpoint_configs,
                ),
            ),
            (
                SageMakerModelBackend,
                "create_endpoint",
                _rejecting_existing(
                    SageMakerModelBackend.create_endpoint, "endpoint", "endpoint", lambda b: b.endpoints
                ),
            ),
        )
        for owner, name, function in patches:
            setattr(owner, name, function)
        _patched = True


# --- The moto server --------------------------------------------------------------------------------


class MotoServer:
    """moto's server on 127.0.0.1 and a free port, in threads of this process (so `patch_moto` applies)."""

    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def start(self) -> None:
        patch_moto()
        # werkzeug logs every request at INFO; failures still show (ERROR).
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        """Forget every resource (moto's reset endpoint; all of this process's moto state)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


@contextmanager
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def aws_environment(endpoint_url: str, region: str) -> dict[str, str]:
    """Environment variables that point a subprocess's standard credential chain at `endpoint_url`.

    The config files are emptied so that a developer's profile (its region, retry settings or
    credential process) cannot leak into a test.
    """
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


# --- Operations on the wire -------------------------------------------------------------------------

WireProtocol = Literal["json", "cbor", "query", "unknown"]

# The X-Amz-Target prefix (the JSON protocol's service shape) and SigV4 signing name of each service.
_TARGET_PREFIXES = {
    "SageMaker": "sagemaker",
    "GraniteServiceVersion20100801": "cloudwatch",
    "AnyScaleFrontendService": "application-autoscaling",
    "AmazonSSM": "ssm",
}
_SIGNING_NAMES = {
    "sagemaker": "sagemaker",
    "monitoring": "cloudwatch",
    "application-autoscaling": "application-autoscaling",
    "ssm": "ssm",
}
_CBOR_PATH = re.compile(r"/service/([^/]+)/operation/([^/?]+)")
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/([^/,]+)/([^/,]+)/aws4_request")


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")


def _query_action(path: str, headers: Mapping[str, str], body: bytes) -> str:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    if not query.get("Action") and _header(headers, "Content-Type").startswith("application/x-www-form-urlencoded"):
        query = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return (query.get("Action") or [""])[0]


def protocol_of(method: str, path: str, headers: Mapping[str, str], body: bytes) -> WireProtocol:
    """How the request is encoded: AWS JSON 1.0/1.1 (X-Amz-Target), Smithy RPC v2 CBOR, or AWS query."""
    if _header(headers, "X-Amz-Target"):
        return "json"
    if method == "POST" and _CBOR_PATH.fullmatch(urllib.parse.urlsplit(path).path):
        return "cbor"
    if _query_action(path, headers, body):
        return "query"
    return "unknown"


def operation_of(method: str, path: str, headers: Mapping[str, str], body: bytes) -> str:
    """The API operation a request calls (e.g. "DescribeEndpoint"); "" when it names none.

    AWS JSON (SageMaker, SSM, Application Auto Scaling, and CloudWatch under botocore 1.44): header
    `X-Amz-Target: <service shape>.<Operation>`. Smithy RPC v2 CBOR (listed first in CloudWatch's model;
    a botocore that prefers it): `POST /service/<service shape>/operation/<Operation>`. AWS query
    (CloudWatch under older botocore): `Action=<Operation>` in the query string or the form body.
    """
    target = _header(headers, "X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    match = _CBOR_PATH.fullmatch(urllib.parse.urlsplit(path).path)
    if method == "POST" and match:
        return match.group(2)
    return _query_action(path, headers, body)


def _service_of(headers: Mapping[str, str]) -> tuple[str, str]:
    """(botocore service name, region) of a signed request; ("", "us-east-1") when unsigned."""
    scope = _CREDENTIAL_SCOPE.search(_header(headers, "Authorization"))
    region = scope.group(1) if scope else "us-east-1"
    service = _SIGNING_NAMES.get(scope.group(2), "") if scope else ""
    if not service:
        service = _TARGET_PREFIXES.get(_header(headers, "X-Amz-Target").split(".", 1)[0], "")
    return service, region


@functools.cache
def _service_metadata(service: str) -> tuple[frozenset[str], bool]:
    """(operation names, whether the service is awsQueryCompatible) from botocore's model."""
    model = botocore.loaders.Loader().load_service_model(service, "service-2")
    return frozenset(model["operations"]), "awsQueryCompatible" in model["metadata"]


def _check_operation(operation: str) -> None:
    if not any(operation in _service_metadata(service)[0] for service in SERVICES):
        raise ValueError(f"{operation!r} is not an operation of {', '.join(SERVICES)}")


# --- AWS-shaped errors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Error:
    code: str
    """The JSON/CBOR error type."""
    query_code: str
    """The code query-protocol clients see (and awsQueryCompatible services send in x-amzn-query-error)."""
    fault: Literal["Sender", "Receiver"]
    status: int
    message_member: str = "message"


THROTTLING = _Error("ThrottlingException", "Throttling", "Sender", 400)
INTERNAL_FAILURE = _Error("InternalFailure", "InternalFailure", "Receiver", 500)
ACCESS_DENIED = _Error("AccessDeniedException", "AccessDenied", "Sender", 400, message_member="Message")

Response = tuple[int, list[tuple[str, str]], bytes]


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    for marker, size in ((24, 1), (25, 2), (26, 4)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | marker]) + length.to_bytes(size, "big")
    raise ValueError("text too long for this CBOR encoder")


def cbor_text_map(items: Mapping[str, str]) -> bytes:
    """A CBOR map of text strings (RFC 8949 major types 5 and 3): all a Smithy RPC v2 error body needs."""
    out = _cbor_head(5, len(items))
    for key, value in items.items():
        for text in (key, value):
            data = text.encode("utf-8")
            out += _cbor_head(3, len(data)) + data
    return out


def error_response(
    error: _Error, message: str, *, protocol: WireProtocol, service: str, request_headers: Mapping[str, str]
) -> Response:
    """`error` as `service` sends it in `protocol` (unknown protocols get the JSON form)."""
    request_id = str(uuid.uuid4())
    query_compatible = bool(service) and _service_metadata(service)[1]
    if protocol == "query":
        body = (
            "<ErrorResponse><Error>"
            f"<Type>{error.fault}</Type><Code>{error.query_code}</Code><Message>{escape(message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return error.status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
    headers = [("x-amzn-RequestId", request_id)]
    if query_compatible:
        # An awsQueryCompatible service (CloudWatch) names the query error in this header, and botocore
        # reports that code (Throttling, AccessDenied), the one clients have always seen from it.
        headers.append(("x-amzn-query-error", f"{error.query_code};{error.fault}"))
    document = {"__type": error.code, error.message_member: message}
    if protocol == "cbor":
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
        return error.status, headers, cbor_text_map(document)
    content_type = _header(request_headers, "Content-Type") or "application/x-amz-json-1.1"
    headers += [("Content-Type", content_type), ("x-amzn-ErrorType", error.code)]
    return error.status, headers, json.dumps(document).encode()


def _denied_resource(service: str, region: str, params: Mapping[str, Any]) -> str:
    """The resource ARN an IAM denial names, as far as the request shows it; "*" otherwise."""
    base = f"arn:aws:{service}:{region}:{ACCOUNT}"
    if service == "sagemaker":
        if isinstance(params.get("ResourceArn"), str):
            return str(params["ResourceArn"])
        for member, kind in (
            ("EndpointName", "endpoint"),
            ("EndpointConfigName", "endpoint-config"),
            ("ModelName", "model"),
        ):
            if isinstance(params.get(member), str):
                return f"{base}:{kind}/{params[member].lower()}"
    if service == "ssm":
        name = params.get("Name") or params.get("Path")
        if isinstance(name, str):
            return f"{base}:parameter/{name.lstrip('/')}"
    if service == "cloudwatch" and isinstance(params.get("AlarmName"), str):
        return f"{base}:alarm:{params['AlarmName']}"
    return "*"


# --- The fault-injecting proxy ----------------------------------------------------------------------

FaultKind = Literal["throttle", "server-error"]
Rewrite = Callable[[dict[str, Any]], dict[str, Any]]

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)


class FaultProxy:
    """A reverse proxy to `upstream` that faults chosen operations; thread-safe.

    Precedence for one request: a denial, else the next queued failure, else forwarded (and its
    successful JSON response rewritten). Every request is recorded in `calls`, faulted or not.
    """

    def __init__(self, upstream: str) -> None:
        parts = urllib.parse.urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"upstream must be an http:// URL, got {upstream!r}")
        self._upstream = (parts.hostname, parts.port or 80)
        self._lock = threading.Lock()
        self._failures: dict[str, collections.deque[FaultKind]] = {}
        self._denied: set[str] = set()
        self._rewrites: dict[str, list[Rewrite]] = {}
        self._calls: list[str] = []
        self._server: _ProxyServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # Lifecycle

    def start(self) -> None:
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler, self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fault-proxy", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> FaultProxy:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # Faults

    def fail(self, operation: str, kind: FaultKind, times: int = 1) -> None:
        """The next `times` requests of `operation` get a throttling error (HTTP 400) or an internal
        failure (HTTP 500) instead of being forwarded; botocore retries both. Calls queue up in order."""
        _check_operation(operation)
        if kind not in ("throttle", "server-error"):
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._failures.setdefault(operation, collections.deque()).extend([kind] * times)

    def deny(self, operation: str) -> None:
        """`operation` gets AccessDeniedException (HTTP 400, not retried) until `clear()`."""
        _check_operation(operation)
        with self._lock:
            self._denied.add(operation)

    def rewrite(self, operation: str, change: Rewrite) -> None:
        """Successful responses of JSON `operation` pass through `change` (after any earlier ones).

        `change` gets the decoded body and returns the body to send. A rewritten operation whose
        response is not JSON gets HTTP 502 naming the problem, so that the test fails loudly.
        """
        _check_operation(operation)
        with self._lock:
            self._rewrites.setdefault(operation, []).append(change)

    def clear(self) -> None:
        """Remove every failure, denial and rewrite (not the recorded calls)."""
        with self._lock:
            self._failures.clear()
            self._denied.clear()
            self._rewrites.clear()

    @property
    def calls(self) -> list[str]:
        """The operations requested so far, in order (a copy); unidentified requests as "METHOD /path"."""
        with self._lock:
            return list(self._calls)

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    # Handling

    def respond(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Response:
        """The response to one request: faulted, or moto's (possibly rewritten)."""
        by_name = dict(headers)
        operation = operation_of(method, path, by_name, body)
        with self._lock:
            self._calls.append(operation or f"{method} {urllib.parse.urlsplit(path).path}")
            denied = operation in self._denied
            queue = self._failures.get(operation)
            failure = queue.popleft() if queue and not denied else None
            rewrites = list(self._rewrites.get(operation, ()))
        protocol = protocol_of(method, path, by_name, body)
        service, region = _service_of(by_name)
        if denied:
            return error_response(
                ACCESS_DENIED,
                self._denial_message(operation, protocol, service, region, body),
                protocol=protocol,
                service=service,
                request_headers=by_name,
            )
        if failure == "throttle":
            return error_response(
                THROTTLING, "Rate exceeded", protocol=protocol, service=service, request_headers=by_name
            )
        if failure == "server-error":
            message = "The request processing has failed because of an unknown error, exception or failure."
            return error_response(
                INTERNAL_FAILURE, message, protocol=protocol, service=service, request_headers=by_name
            )
        status, response_headers, response_body = self._forward(method, path, headers, body)
        if rewrites and 200 <= status < 300:
            return self._rewritten(operation, rewrites, status, response_headers, response_body)
        return status, response_headers, response_body

    @staticmethod
    def _denial_message(operation: str, protocol: WireProtocol, service: str, region: str, body: bytes) -> str:
        params: Mapping[str, Any] = {}
        if protocol == "json" and body:
            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = {}
            params = decoded if isinstance(decoded, dict) else {}
        action = f"{service or 'unknown'}:{operation}"
        resource = _denied_resource(service, region, params)
        return (
            f"User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action"
        )

    def _forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Response:
        connection = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            # The client's Host header goes through unchanged: SigV4 signed it.
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP:
                    connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            data = response.read()
            kept = [(name, value) for name, value in response.getheaders() if name.lower() not in _HOP_BY_HOP]
            return response.status, kept, data
        finally:
            connection.close()

    @staticmethod
    def _rewritten(
        operation: str, rewrites: list[Rewrite], status: int, headers: list[tuple[str, str]], body: bytes
    ) -> Response:
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            message = f"FaultProxy: cannot rewrite {operation}: its response is not a JSON object"
            return 502, [("Content-Type", "text/plain")], message.encode()
        for change in rewrites:
            document = change(copy.deepcopy(document))
        return status, headers, json.dumps(document).encode()


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(address, handler)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        proxy = cast(_ProxyServer, self.server).proxy
        if self.headers.get("Transfer-Encoding"):
            # botocore sends a Content-Length for these services; a chunked body is not expected.
            self.send_error(411, "FaultProxy needs a Content-Length")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, data = proxy.respond(self.command, self.path, list(self.headers.items()), body)
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle  # noqa: N815 - http.server's names

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: `FaultProxy.calls` is the log."""


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    with FaultProxy(upstream) as proxy:
        yield proxy


# --- Deploying a plan onto moto ---------------------------------------------------------------------

MODEL = "aws:sagemaker/model:Model"
ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws-native:sagemaker:Endpoint"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SCALABLE_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SERVING_TYPES = (MODEL, ENDPOINT_CONFIG, ENDPOINT, METRIC_ALARM, SCALABLE_TARGET, SCALING_POLICY)
"""The resource types `deploy` creates, in the order it creates them (each needs the ones before)."""


@dataclass(frozen=True)
class Clients:
    sagemaker: Any
    cloudwatch: Any
    autoscaling: Any
    ssm: Any

    def for_service(self, service: str) -> Any:
        return {
            "sagemaker": self.sagemaker,
            "cloudwatch": self.cloudwatch,
            "application-autoscaling": self.autoscaling,
            "ssm": self.ssm,
        }[service]


def client(service: str, endpoint_url: str, region: str, config: Any = None) -> Any:
    """A boto3 client of `service` on `endpoint_url`, with moto's test credentials."""
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region, config=config, **CREDENTIALS)


def clients(endpoint_url: str, region: str, config: Any = None) -> Clients:
    """SageMaker, CloudWatch, Application Auto Scaling and SSM clients on `endpoint_url`."""
    return Clients(*(client(service, endpoint_url, region, config) for service in SERVICES))


def serving_requests(plan: Plan, region: str) -> list[ApiRequest]:
    """The API requests that create the plan's serving resources, in `SERVING_TYPES` order."""
    return [translate(r, region=region) for kind in SERVING_TYPES for r in plan.resources if r.type == kind]


def _send(aws: Clients, request: ApiRequest | tuple[str, str, Mapping[str, Any]]) -> Any:
    service, operation, params = (
        (request.service, request.operation, request.params) if isinstance(request, ApiRequest) else request
    )
    method = getattr(aws.for_service(service), botocore.xform_name(operation))
    return method(**copy.deepcopy(dict(params)))


def deploy(plan: Plan, *, endpoint_url: str, region: str) -> None:
    """Create the plan's models, endpoint configurations, endpoints, alarms, scalable targets and
    scaling policies on moto, as pulumi-aws would request them. Values unknown at preview keep the
    oracle's placeholders (an SNS topic ARN in alarm actions, a KMS key ARN), which moto accepts."""
    aws = clients(endpoint_url, region)
    for request in serving_requests(plan, region):
        _send(aws, request)


def _request_where(requests: Sequence[ApiRequest], operation: str, member: str, value: str) -> ApiRequest:
    for request in requests:
        if request.operation == operation and request.params.get(member) == value:
            return request
    raise KeyError(f"the plan has no {operation} with {member} {value!r}")


def deploy_config(
    plan: Plan,
    endpoint_name: str,
    *,
    endpoint_url: str,
    region: str,
    change: Rewrite | None = None,
    activate: bool = False,
    retain_all_variant_properties: bool = False,
) -> str:
    """Create on moto the endpoint configuration `plan` gives endpoint `endpoint_name` (its physical
    name, e.g. "opsdemo-prod-ranker"), with the models it serves that moto lacks; return its name.

    `change` edits the CreateEndpointConfig request first (e.g. another EndpointConfigName or other
    weights). With `activate`, UpdateEndpoint then points the live endpoint at it, which is how a test
    makes "the live configuration is an older one": plan a variant of the blueprint and deploy its
    configuration here.
    """
    requests = serving_requests(plan, region)
    endpoint = _request_where(requests, "CreateEndpoint", "EndpointName", endpoint_name)
    config = _request_where(
        requests, "CreateEndpointConfig", "EndpointConfigName", endpoint.params["EndpointConfigName"]
    )
    params = copy.deepcopy(dict(config.params))
    if change is not None:
        params = change(params)
    aws = clients(endpoint_url, region)
    served = [v["ModelName"] for key in ("ProductionVariants", "ShadowProductionVariants") for v in params.get(key, [])]
    existing = {
        m["ModelName"] for page in aws.sagemaker.get_paginator("list_models").paginate() for m in page["Models"]
    }
    for model in dict.fromkeys(served):
        if model not in existing:
            _send(aws, _request_where(requests, "CreateModel", "ModelName", model))
    _send(aws, ("sagemaker", "CreateEndpointConfig", params))
    if activate:
        aws.sagemaker.update_endpoint(
            EndpointName=endpoint_name,
            EndpointConfigName=params["EndpointConfigName"],
            RetainAllVariantProperties=retain_all_variant_properties,
        )
    return str(params["EndpointConfigName"])
