"""AWS Lambda handler of the feedback API: validate one feedback record, write it to Firehose.

Deployed as a single file (`handler.handler`, python3.12, API Gateway HTTP API payload format 2.0),
so it imports only the standard library, plus boto3 from the Lambda runtime when it first writes.

Request: `POST /feedback`, a JSON object of at most `MAX_BODY_BYTES` bytes:

    endpoint       string, one of ALLOWED_ENDPOINTS (the blueprint's endpoint names)
    inference_id   string, SageMaker's InferenceId of the request this answers: 1-64 characters,
                   a non-blank first character, then printable ASCII
    label | score  exactly one: `label` a string (1-256 characters), number or boolean;
                   `score` a finite number
    timestamp      when the outcome happened: YYYY-MM-DDTHH:MM[:SS[.fraction]] with `Z` or
                   a `+HH:MM` / `-HH:MM` offset
    metadata       optional, an object of at most 32 keys (1-128 characters) whose values are
                   strings (at most 1,024 characters), finite numbers or booleans

Responses are JSON: 202 `{"status": "accepted", "inference_id": ...}` after exactly one record is
written, otherwise `{"error": "<message>", "field": "<field or null>"}` with 400 (invalid
request), 404 (other path), 405 (other method), 413 (body too large), 500 (misconfigured or a
bug) or 502 (Firehose did not confirm the record; retry, and dedupe downstream on inference_id,
because a timed-out write may still have landed).

The record written is the validated fields unchanged, plus `received_at` (UTC, ISO-8601) and
`request_id` (API Gateway's request id), as one line of JSON.
"""

from __future__ import annotations

import base64
import binascii
import functools
import importlib
import json
import logging
import math
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

LOGGER = logging.getLogger("mlstack.feedback")
LOGGER.setLevel(logging.INFO)

ROUTE_METHOD = "POST"
ROUTE_PATH = "/feedback"
DEFAULT_MAX_BODY_BYTES = 16_384

# SageMaker's InferenceId (sagemaker-runtime InvokeEndpoint, botocore's service model):
# min 1, max 64, pattern `\A\S[\p{Print}]*\z`. AWS evaluates it as a Java regex, where `\S` is
# anything but the six ASCII blanks and `\p{Print}` is printable ASCII (0x20-0x7E); lengths are
# counted in UTF-16 code units. Feedback must name an id SageMaker could have accepted.
INFERENCE_ID_MAX_LENGTH = 64
INFERENCE_ID_PATTERN = re.compile(r"[^ \t\n\x0b\f\r][\x20-\x7e]*")

LABEL_MAX_LENGTH = 256
TIMESTAMP_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})")
METADATA_MAX_KEYS = 32
METADATA_KEY_MAX_LENGTH = 128
METADATA_VALUE_MAX_LENGTH = 1_024
FIELDS = ("endpoint", "inference_id", "label", "score", "timestamp", "metadata")
# Values echoed in error messages are cut to this length: messages stay readable and small.
_ECHO_LENGTH = 80


class ConfigError(Exception):
    """The function's environment is wrong: a deployment bug, never the caller's fault."""


@dataclass(frozen=True)
class Config:
    """The function's settings, from its environment variables."""

    allowed_endpoints: frozenset[str]
    """ALLOWED_ENDPOINTS: comma-separated endpoint names that accept feedback."""
    delivery_stream: str
    """DELIVERY_STREAM: the Firehose stream records go to."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """MAX_BODY_BYTES: the largest request body accepted, in bytes after base64 decoding."""


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Read the settings on every call, so that tests (and a changed configuration) take effect."""
    env = os.environ if environ is None else environ
    endpoints = frozenset(name.strip() for name in env.get("ALLOWED_ENDPOINTS", "").split(",") if name.strip())
    if not endpoints:
        raise ConfigError("ALLOWED_ENDPOINTS is empty")
    stream = env.get("DELIVERY_STREAM", "").strip()
    if not stream:
        raise ConfigError("DELIVERY_STREAM is not set")
    raw_max = env.get("MAX_BODY_BYTES", "").strip() or str(DEFAULT_MAX_BODY_BYTES)
    try:
        max_body_bytes = int(raw_max)
    except ValueError:
        raise ConfigError(f"MAX_BODY_BYTES is not an integer: {raw_max!r}") from None
    if max_body_bytes < 1:
        raise ConfigError(f"MAX_BODY_BYTES must be positive, got {max_body_bytes}")
    return Config(allowed_endpoints=endpoints, delivery_stream=stream, max_body_bytes=max_body_bytes)


class RequestError(Exception):
    """A request this API refuses; becomes a 4xx response and writes nothing."""

    def __init__(
        self, status: int, message: str, field: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = dict(headers or {})


class FirehoseClient(Protocol):
    """The one call this function makes (boto3's `firehose` client has it)."""

    def put_record(self, *, DeliveryStreamName: str, Record: Mapping[str, bytes]) -> Mapping[str, Any]: ...  # noqa: N803 (boto3's argument names)


@functools.cache
def _firehose_client() -> FirehoseClient:
    # Imported here, not at the top: tests and the offline plan import this module without boto3
    # being configured (or AWS being reachable); in Lambda the client is built once per container.
    # importlib keeps mypy from needing boto3 stubs, which this project does not install.
    boto3 = importlib.import_module("boto3")
    botocore_config = importlib.import_module("botocore.config")
    # Fail fast and retry a little: the function's timeout is short and the caller can retry a 502.
    config = botocore_config.Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 3, "mode": "standard"})
    return cast(FirehoseClient, boto3.client("firehose", config=config))


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    """Lambda entry point. Every outcome is a JSON response; no traceback ever reaches the caller."""
    try:
        return _handle(event)
    except Exception:
        # Last resort: the bug goes to the log, the caller gets a 500 without details.
        LOGGER.exception("feedback handler failed unexpectedly")
        return _error(500, "internal error", None)


def _handle(event: Mapping[str, Any]) -> dict[str, Any]:
    context = _mapping(event.get("requestContext"))
    request_id = context.get("requestId")
    try:
        _check_route(event)
    except RequestError as error:
        return _refuse(error)
    try:
        config = load_config()
    except ConfigError as error:
        LOGGER.error("feedback API misconfigured: %s", error)
        return _error(500, "the feedback API is misconfigured", None)
    try:
        feedback = validate(_parse(_body(event, config.max_body_bytes)), config.allowed_endpoints)
    except RequestError as error:
        return _refuse(error)

    record = {
        **feedback,
        "received_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "request_id": request_id if isinstance(request_id, str) else None,
    }
    # One JSON object per line: Firehose concatenates records into one S3 object, and Athena and
    # Spark read newline-delimited JSON.
    data = (json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")
    try:
        _firehose_client().put_record(DeliveryStreamName=config.delivery_stream, Record={"Data": data})
    except Exception:
        # Any failure to store (throttling, KMS, network, a missing stream) is a 502 the caller can
        # retry. A timed-out call may still have been stored, so consumers dedupe on inference_id.
        LOGGER.exception("Firehose put_record to %s failed", config.delivery_stream)
        return _error(502, "feedback could not be stored; retry later", None)
    LOGGER.info("accepted feedback for %s inference %s", feedback["endpoint"], feedback["inference_id"])
    return _response(202, {"status": "accepted", "inference_id": feedback["inference_id"]})


def _check_route(event: Mapping[str, Any]) -> None:
    http = _mapping(_mapping(event.get("requestContext")).get("http"))
    method = http.get("method")
    path = http.get("path") or event.get("rawPath")
    stage = _mapping(event.get("requestContext")).get("stage")
    # On a named stage API Gateway puts the stage in the path (/prod/feedback); on $default it does not.
    if isinstance(path, str) and isinstance(stage, str) and stage != "$default" and path.startswith(f"/{stage}/"):
        path = path[len(stage) + 1 :]
    if path != ROUTE_PATH:
        raise RequestError(404, f"no such route; send feedback as {ROUTE_METHOD} {ROUTE_PATH}")
    if method != ROUTE_METHOD:
        raise RequestError(405, f"{ROUTE_PATH} accepts only {ROUTE_METHOD}", None, {"allow": ROUTE_METHOD})


def _body(event: Mapping[str, Any], max_bytes: int) -> bytes:
    raw = event.get("body")
    if raw is None or raw == "":
        raise RequestError(400, "the request body is empty; send a JSON object")
    if not isinstance(raw, str):
        raise RequestError(400, "the request body is not text")
    too_large = RequestError(413, f"the request body is larger than {max_bytes} bytes")
    if event.get("isBase64Encoded"):
        # Base64 is 4/3 of the size: refuse what cannot fit before decoding it.
        if len(raw) > 4 * -(-max_bytes // 3):
            raise too_large
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(400, "the request body is marked base64 but is not valid base64") from None
    else:
        # A character is at least one byte, so a string this long cannot fit.
        if len(raw) > max_bytes:
            raise too_large
        try:
            body = raw.encode("utf-8")
        except UnicodeEncodeError:
            raise RequestError(400, "the request body is not valid UTF-8") from None
    if len(body) > max_bytes:
        raise too_large
    return body


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Python's json keeps the last of repeated keys, other parsers the first: refuse the ambiguity.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(400, "the request body is not valid UTF-8") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except _DuplicateKeyError as error:
        raise RequestError(400, f"field {_echo(error.key)} appears more than once", error.key) from None
    except (ValueError, RecursionError):
        # ValueError covers malformed JSON, NaN/Infinity and integers too long to parse;
        # RecursionError, nesting deeper than the parser's stack.
        raise RequestError(400, "the request body is not valid JSON") from None


def validate(payload: Any, allowed_endpoints: Collection[str]) -> dict[str, Any]:
    """The feedback in `payload`, checked field by field; raises RequestError at the first problem."""
    if not isinstance(payload, dict):
        raise RequestError(400, f"the request body must be a JSON object, not {_json_type(payload)}")
    unknown = sorted(set(payload) - set(FIELDS))
    if unknown:
        raise RequestError(400, f"unknown field {_echo(unknown[0])}; fields are: {', '.join(FIELDS)}", unknown[0])

    feedback: dict[str, Any] = {}
    endpoint = _required(payload, "endpoint")
    if not isinstance(endpoint, str):
        raise RequestError(400, f"endpoint must be a string, not {_json_type(endpoint)}", "endpoint")
    if endpoint not in allowed_endpoints:
        raise RequestError(
            400,
            f"endpoint {_echo(endpoint)} does not accept feedback; endpoints: {', '.join(sorted(allowed_endpoints))}",
            "endpoint",
        )
    feedback["endpoint"] = endpoint
    feedback["inference_id"] = _inference_id(_required(payload, "inference_id"))

    if ("label" in payload) == ("score" in payload):
        which = "both were given" if "label" in payload else "neither was given"
        raise RequestError(400, f"give exactly one of label or score; {which}", "label")
    if "label" in payload:
        feedback["label"] = _label(payload["label"])
    else:
        feedback["score"] = _score(payload["score"])

    feedback["timestamp"] = _timestamp(_required(payload, "timestamp"))
    if "metadata" in payload:
        feedback["metadata"] = _metadata(payload["metadata"])
    return feedback


def _required(payload: Mapping[str, Any], field: str) -> Any:
    if field not in payload:
        raise RequestError(400, f"{field} is required", field)
    return payload[field]


def _inference_id(value: Any) -> str:
    if not isinstance(value, str):
        raise RequestError(400, f"inference_id must be a string, not {_json_type(value)}", "inference_id")
    length = len(value.encode("utf-16-le")) // 2
    if not 1 <= length <= INFERENCE_ID_MAX_LENGTH:
        raise RequestError(
            400,
            f"inference_id must be 1 to {INFERENCE_ID_MAX_LENGTH} characters (SageMaker's InferenceId), got {length}",
            "inference_id",
        )
    if not INFERENCE_ID_PATTERN.fullmatch(value):
        raise RequestError(
            400,
            "inference_id must be printable ASCII and must not start with a blank (SageMaker's InferenceId)",
            "inference_id",
        )
    return value


def _is_finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        # Integers beyond a double's range cannot be stored or compared downstream.
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _label(value: Any) -> str | int | float | bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if not 1 <= len(value) <= LABEL_MAX_LENGTH:
            raise RequestError(400, f"label must be 1 to {LABEL_MAX_LENGTH} characters, got {len(value)}", "label")
        return value
    if isinstance(value, int | float):
        if not _is_finite_number(value):
            raise RequestError(400, "label must be a finite number", "label")
        return value
    raise RequestError(400, f"label must be a string, number or boolean, not {_json_type(value)}", "label")


def _score(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(400, f"score must be a number, not {_json_type(value)}", "score")
    if not _is_finite_number(value):
        raise RequestError(400, "score must be a finite number within a double's range", "score")
    return value


def _timestamp(value: Any) -> str:
    if not isinstance(value, str):
        raise RequestError(400, f"timestamp must be a string, not {_json_type(value)}", "timestamp")
    example = "e.g. 2024-05-01T12:34:56.789Z"
    if not TIMESTAMP_PATTERN.fullmatch(value):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?", value):
            raise RequestError(400, f"timestamp has no timezone; add Z or an offset ({example})", "timestamp")
        raise RequestError(400, f"timestamp must be an ISO-8601 date and time with a timezone ({example})", "timestamp")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RequestError(400, f"timestamp {_echo(value)} is not a valid date and time", "timestamp") from None
    if parsed.utcoffset() is None:  # defensive: the pattern already requires an offset
        raise RequestError(400, f"timestamp has no timezone; add Z or an offset ({example})", "timestamp")
    return value


def _metadata(value: Any) -> dict[str, str | int | float | bool]:
    if not isinstance(value, dict):
        raise RequestError(400, f"metadata must be an object, not {_json_type(value)}", "metadata")
    if len(value) > METADATA_MAX_KEYS:
        raise RequestError(400, f"metadata has {len(value)} keys; at most {METADATA_MAX_KEYS} are allowed", "metadata")
    for key, item in value.items():
        if not 1 <= len(key) <= METADATA_KEY_MAX_LENGTH:
            raise RequestError(400, f"metadata keys must be 1 to {METADATA_KEY_MAX_LENGTH} characters", "metadata")
        field = f"metadata.{key}"
        if isinstance(item, str):
            if len(item) > METADATA_VALUE_MAX_LENGTH:
                raise RequestError(400, f"{field} is longer than {METADATA_VALUE_MAX_LENGTH} characters", field)
        elif isinstance(item, int | float) and not isinstance(item, bool):
            if not _is_finite_number(item):
                raise RequestError(400, f"{field} must be a finite number within a double's range", field)
        elif not isinstance(item, bool):
            raise RequestError(
                400, f"{field} must be a string, number or boolean (metadata is flat), not {_json_type(item)}", field
            )
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _echo(value: str) -> str:
    text = value if len(value) <= _ECHO_LENGTH else value[: _ECHO_LENGTH - 3] + "..."
    return repr(text)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _refuse(error: RequestError) -> dict[str, Any]:
    # The reason, not the body: bodies may carry customer data.
    LOGGER.info("refused feedback with %d: %s (field %s)", error.status, error.message, error.field)
    return _error(error.status, error.message, error.field, error.headers)


def _error(status: int, message: str, field: str | None, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return _response(status, {"error": message, "field": field}, headers)


def _response(status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **(headers or {})},
        "body": json.dumps(body, ensure_ascii=False),
    }
