"""The feedback Lambda handler: what it accepts, what it refuses, and exactly what it writes.

Only the Firehose client is faked, and the fake checks each call against botocore's own
PutRecord request shape, so a call the real client would reject fails here too.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast
from unittest import mock

import botocore.session
import pytest
from botocore.validate import ParamValidator
from hypothesis import given, settings
from hypothesis import strategies as st

from mlstack.components.feedback_handler import handler as feedback
from tests.conftest import REPO

ENDPOINTS = ("ranker", "fraud-scorer")
STREAM = "recsys-prod-feedback"
_FIREHOSE = botocore.session.get_session().get_service_model("firehose")
_PUT_RECORD = _FIREHOSE.operation_model("PutRecord")


class FakeFirehose:
    """Records what would have been written; optionally fails like the real service can."""

    def __init__(self, error: Exception | None = None) -> None:
        self.records: list[tuple[str, bytes]] = []
        self.error = error

    def put_record(self, *, DeliveryStreamName: str, Record: Mapping[str, bytes]) -> Mapping[str, Any]:  # noqa: N803
        report = ParamValidator().validate(
            {"DeliveryStreamName": DeliveryStreamName, "Record": Record}, _PUT_RECORD.input_shape
        )
        assert not report.has_errors(), report.generate_report()
        # Firehose's record limit (1,000 KiB) is not in the shape's validation.
        assert len(Record["Data"]) <= 1_000 * 1_024
        if self.error is not None:
            raise self.error
        self.records.append((DeliveryStreamName, bytes(Record["Data"])))
        return {"RecordId": f"record-{len(self.records)}", "Encrypted": True}


@contextmanager
def deployed(max_body_bytes: int | None = None, error: Exception | None = None) -> Iterator[FakeFirehose]:
    """The function's environment as the component sets it, and a fake Firehose behind it."""
    env = {"ALLOWED_ENDPOINTS": ",".join(ENDPOINTS), "DELIVERY_STREAM": STREAM}
    if max_body_bytes is not None:
        env["MAX_BODY_BYTES"] = str(max_body_bytes)
    fake = FakeFirehose(error)
    with (
        mock.patch.dict(os.environ, env),
        mock.patch.object(feedback, "_firehose_client", lambda: fake),
    ):
        if max_body_bytes is None:
            os.environ.pop("MAX_BODY_BYTES", None)
        yield fake


def event(
    body: str | None,
    *,
    base64_encoded: bool = False,
    method: str = "POST",
    path: str = "/feedback",
    request_id: str = "Jx1bNhZ0DoEEPmw=",
) -> dict[str, Any]:
    """An API Gateway HTTP API payload format 2.0 event, as a SigV4-authenticated caller sends it."""
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "abc123.execute-api.eu-west-1.amazonaws.com"},
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1"},
            "requestId": request_id,
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": "01/May/2024:12:34:56 +0000",
            "timeEpoch": 1714566896000,
        },
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def payload(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "endpoint": "ranker",
        "inference_id": "c0ffee-42",
        "label": "clicked",
        "timestamp": "2024-05-01T12:34:56.789Z",
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not _ABSENT}


_ABSENT: Any = object()


def call(body: str | None, **kwargs: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    response = feedback.handler(event(body, **kwargs), None)
    assert response["headers"]["content-type"] == "application/json"
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def written(fake: FakeFirehose) -> dict[str, Any]:
    [(stream, data)] = fake.records
    assert stream == STREAM
    assert data.endswith(b"\n") and data.count(b"\n") == 1, "one record, one JSON line"
    record: dict[str, Any] = json.loads(data)
    return record


# --- accepted -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [
        payload(),
        payload(label=True),
        payload(label=0),
        payload(label=_ABSENT, score=0.973),
        payload(label=_ABSENT, score=-3, endpoint="fraud-scorer"),
        payload(timestamp="2024-05-01T14:34+02:00", metadata={"page": "home", "rank": 3, "ab": True, "w": 0.5}),
        payload(inference_id="x" * 64),
        payload(metadata={}),
    ],
    ids=["label", "label-bool", "label-number", "score", "score-int", "metadata", "longest-id", "empty-metadata"],
)
def test_valid_feedback_writes_exactly_one_record(sent: dict[str, Any]) -> None:
    before = datetime.now(UTC)
    with deployed() as fake:
        status, body, _ = call(json.dumps(sent))
    assert (status, body) == (202, {"status": "accepted", "inference_id": sent["inference_id"]})
    record = written(fake)
    received_at = datetime.fromisoformat(record.pop("received_at"))
    assert received_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= received_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert record.pop("request_id") == "Jx1bNhZ0DoEEPmw="
    assert record == sent


def test_base64_body_is_decoded() -> None:
    sent = payload(label=_ABSENT, score=0.5, metadata={"näme": "ünïcode ✓"})
    encoded = base64.b64encode(json.dumps(sent, ensure_ascii=False).encode("utf-8")).decode("ascii")
    with deployed() as fake:
        status, body, _ = call(encoded, base64_encoded=True)
    assert status == 202, body
    record = written(fake)
    assert {k: v for k, v in record.items() if k not in ("received_at", "request_id")} == sent


def test_record_is_utf8_json_the_partition_query_can_read() -> None:
    # Firehose's jq query {endpoint:.endpoint} needs `endpoint` at the top level of each record.
    with deployed() as fake:
        call(json.dumps(payload(label="naïve ✓")))
    [(_, data)] = fake.records
    assert "naïve ✓".encode() in data
    assert json.loads(data)["endpoint"] == "ranker"


def test_misconfigured_function_answers_500_and_writes_nothing() -> None:
    with deployed() as fake, mock.patch.dict(os.environ, {"DELIVERY_STREAM": ""}):
        status, body, _ = call(json.dumps(payload()))
    assert (status, body) == (500, {"error": "the feedback API is misconfigured", "field": None})
    assert fake.records == []


# --- refused --------------------------------------------------------------------------------------

REFUSED = [
    (
        "unknown-endpoint",
        json.dumps(payload(endpoint="rankr")),
        400,
        "endpoint",
        "endpoint 'rankr' does not accept feedback; endpoints: fraud-scorer, ranker",
    ),
    (
        "endpoint-not-string",
        json.dumps(payload(endpoint=["ranker"])),
        400,
        "endpoint",
        "endpoint must be a string, not an array",
    ),
    ("missing-endpoint", json.dumps(payload(endpoint=_ABSENT)), 400, "endpoint", "endpoint is required"),
    (
        "missing-inference-id",
        json.dumps(payload(inference_id=_ABSENT)),
        400,
        "inference_id",
        "inference_id is required",
    ),
    (
        "empty-inference-id",
        json.dumps(payload(inference_id="")),
        400,
        "inference_id",
        "inference_id must be 1 to 64 characters (SageMaker's InferenceId), got 0",
    ),
    (
        "long-inference-id",
        json.dumps(payload(inference_id="x" * 65)),
        400,
        "inference_id",
        "inference_id must be 1 to 64 characters (SageMaker's InferenceId), got 65",
    ),
    (
        "blank-first",
        json.dumps(payload(inference_id=" abc")),
        400,
        "inference_id",
        "inference_id must be printable ASCII and must not start with a blank (SageMaker's InferenceId)",
    ),
    (
        "unprintable",
        json.dumps(payload(inference_id="abc\ndef")),
        400,
        "inference_id",
        "inference_id must be printable ASCII and must not start with a blank (SageMaker's InferenceId)",
    ),
    (
        "inference-id-number",
        json.dumps(payload(inference_id=42)),
        400,
        "inference_id",
        "inference_id must be a string, not a number",
    ),
    (
        "label-and-score",
        json.dumps(payload(score=0.5)),
        400,
        "label",
        "give exactly one of label or score; both were given",
    ),
    (
        "neither",
        json.dumps(payload(label=_ABSENT)),
        400,
        "label",
        "give exactly one of label or score; neither was given",
    ),
    (
        "label-null",
        json.dumps(payload(label=None)),
        400,
        "label",
        "label must be a string, number or boolean, not null",
    ),
    ("label-empty", json.dumps(payload(label="")), 400, "label", "label must be 1 to 256 characters, got 0"),
    (
        "label-object",
        json.dumps(payload(label={"v": 1})),
        400,
        "label",
        "label must be a string, number or boolean, not an object",
    ),
    (
        "score-string",
        json.dumps(payload(label=_ABSENT, score="0.5")),
        400,
        "score",
        "score must be a number, not a string",
    ),
    (
        "score-bool",
        json.dumps(payload(label=_ABSENT, score=True)),
        400,
        "score",
        "score must be a number, not a boolean",
    ),
    (
        "score-overflow",
        json.dumps(payload(label=_ABSENT)).replace("}", ', "score": 1e400}'),
        400,
        "score",
        "score must be a finite number within a double's range",
    ),
    (
        "score-nan",
        json.dumps(payload(label=_ABSENT)).replace("}", ', "score": NaN}'),
        400,
        None,
        "the request body is not valid JSON",
    ),
    (
        "naive-timestamp",
        json.dumps(payload(timestamp="2024-05-01T12:34:56")),
        400,
        "timestamp",
        "timestamp has no timezone; add Z or an offset (e.g. 2024-05-01T12:34:56.789Z)",
    ),
    (
        "date-only",
        json.dumps(payload(timestamp="2024-05-01")),
        400,
        "timestamp",
        "timestamp must be an ISO-8601 date and time with a timezone (e.g. 2024-05-01T12:34:56.789Z)",
    ),
    (
        "unparsable-timestamp",
        json.dumps(payload(timestamp="yesterday")),
        400,
        "timestamp",
        "timestamp must be an ISO-8601 date and time with a timezone (e.g. 2024-05-01T12:34:56.789Z)",
    ),
    (
        "space-separator",
        json.dumps(payload(timestamp="2024-05-01 12:34:56Z")),
        400,
        "timestamp",
        "timestamp must be an ISO-8601 date and time with a timezone (e.g. 2024-05-01T12:34:56.789Z)",
    ),
    (
        "impossible-date",
        json.dumps(payload(timestamp="2024-02-30T00:00:00Z")),
        400,
        "timestamp",
        "timestamp '2024-02-30T00:00:00Z' is not a valid date and time",
    ),
    (
        "epoch-timestamp",
        json.dumps(payload(timestamp=1714566896)),
        400,
        "timestamp",
        "timestamp must be a string, not a number",
    ),
    ("missing-timestamp", json.dumps(payload(timestamp=_ABSENT)), 400, "timestamp", "timestamp is required"),
    (
        "unknown-field",
        json.dumps(payload(user_id="u1")),
        400,
        "user_id",
        "unknown field 'user_id'; fields are: endpoint, inference_id, label, score, timestamp, metadata",
    ),
    ("array-body", json.dumps([payload()]), 400, None, "the request body must be a JSON object, not an array"),
    ("string-body", json.dumps("feedback"), 400, None, "the request body must be a JSON object, not a string"),
    ("null-body", "null", 400, None, "the request body must be a JSON object, not null"),
    ("malformed-json", '{"endpoint": "ranker",', 400, None, "the request body is not valid JSON"),
    (
        "duplicate-key",
        '{"endpoint": "ranker", "endpoint": "fraud-scorer"}',
        400,
        "endpoint",
        "field 'endpoint' appears more than once",
    ),
    ("deep-nesting", "[" * 5_000 + "]" * 5_000, 400, None, "the request body is not valid JSON"),
    ("empty-body", "", 400, None, "the request body is empty; send a JSON object"),
    ("no-body", None, 400, None, "the request body is empty; send a JSON object"),
    (
        "metadata-nested",
        json.dumps(payload(metadata={"ctx": {"page": "home"}})),
        400,
        "metadata.ctx",
        "metadata.ctx must be a string, number or boolean (metadata is flat), not an object",
    ),
    (
        "metadata-list",
        json.dumps(payload(metadata={"tags": ["a"]})),
        400,
        "metadata.tags",
        "metadata.tags must be a string, number or boolean (metadata is flat), not an array",
    ),
    (
        "metadata-null-value",
        json.dumps(payload(metadata={"page": None})),
        400,
        "metadata.page",
        "metadata.page must be a string, number or boolean (metadata is flat), not null",
    ),
    (
        "metadata-not-object",
        json.dumps(payload(metadata=["page"])),
        400,
        "metadata",
        "metadata must be an object, not an array",
    ),
    ("metadata-null", json.dumps(payload(metadata=None)), 400, "metadata", "metadata must be an object, not null"),
    (
        "metadata-too-many",
        json.dumps(payload(metadata={f"k{i}": i for i in range(33)})),
        400,
        "metadata",
        "metadata has 33 keys; at most 32 are allowed",
    ),
    (
        "metadata-long-value",
        json.dumps(payload(metadata={"note": "x" * 1025})),
        400,
        "metadata.note",
        "metadata.note is longer than 1024 characters",
    ),
    (
        "metadata-empty-key",
        json.dumps(payload(metadata={"": 1})),
        400,
        "metadata",
        "metadata keys must be 1 to 128 characters",
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "field", "message"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED]
)
def test_invalid_feedback_is_refused_and_nothing_is_written(
    body: str | None, status: int, field: str | None, message: str
) -> None:
    with deployed() as fake:
        got = call(body)
    assert got[:2] == (status, {"error": message, "field": field})
    assert fake.records == []


def test_oversize_body_is_413() -> None:
    sent = json.dumps(payload(metadata={"note": "x" * 1000}))
    with deployed(max_body_bytes=len(sent) - 1) as fake:
        status, body, _ = call(sent)
        assert (status, body) == (
            413,
            {"error": f"the request body is larger than {len(sent) - 1} bytes", "field": None},
        )
        # The same body base64-encoded is judged by its decoded size.
        assert call(base64.b64encode(sent.encode()).decode(), base64_encoded=True)[0] == 413
    assert fake.records == []
    with deployed(max_body_bytes=len(sent)) as fake:
        assert call(sent)[0] == 202
    assert len(fake.records) == 1


def test_default_body_limit_is_16_kib() -> None:
    with deployed() as fake:
        assert call(json.dumps(payload()) + " " * 16_384)[0] == 413
    assert fake.records == []


def test_multibyte_characters_count_as_bytes() -> None:
    sent = json.dumps(payload(label="é" * 100), ensure_ascii=False)
    with deployed(max_body_bytes=len(sent) + 50) as fake:  # enough characters, too few bytes
        assert call(sent)[0] == 413
    assert fake.records == []


def test_invalid_base64_is_400() -> None:
    with deployed() as fake:
        got = call("not base64!", base64_encoded=True)
    assert got[:2] == (400, {"error": "the request body is marked base64 but is not valid base64", "field": None})
    assert fake.records == []


def test_invalid_utf8_is_400() -> None:
    with deployed() as fake:
        got = call(base64.b64encode(b'{"endpoint": "\xff"}').decode(), base64_encoded=True)
    assert got[:2] == (400, {"error": "the request body is not valid UTF-8", "field": None})
    assert fake.records == []


def test_other_paths_are_404_and_other_methods_405() -> None:
    with deployed() as fake:
        assert call(json.dumps(payload()), path="/feedbacks")[:2] == (
            404,
            {"error": "no such route; send feedback as POST /feedback", "field": None},
        )
        status, body, headers = call(json.dumps(payload()), method="PUT")
        assert (status, body) == (405, {"error": "/feedback accepts only POST", "field": None})
        assert headers["allow"] == "POST"
        assert call(None, method="GET")[0] == 405
    assert fake.records == []


def test_named_stage_prefix_is_not_part_of_the_route() -> None:
    sent = event(json.dumps(payload()), path="/live/feedback")
    sent["requestContext"]["stage"] = "live"
    with deployed() as fake:
        assert feedback.handler(sent, None)["statusCode"] == 202
    assert len(fake.records) == 1


# --- Firehose failures ----------------------------------------------------------------------------


def test_firehose_failure_is_502_without_details() -> None:
    from botocore.exceptions import ClientError

    error = ClientError({"Error": {"Code": "ServiceUnavailableException", "Message": "Slow down."}}, "PutRecord")
    with deployed(error=error) as fake:
        status, body, _ = call(json.dumps(payload()))
    assert (status, body) == (502, {"error": "feedback could not be stored; retry later", "field": None})
    assert fake.records == []


def test_unexpected_error_is_500_without_traceback() -> None:
    with deployed(), mock.patch.object(feedback, "validate", side_effect=KeyError("boom")):
        status, body, _ = call(json.dumps(payload()))
    assert (status, body) == (500, {"error": "internal error", "field": None})


# --- the real client factory ----------------------------------------------------------------------


def test_boto3_is_imported_only_when_a_record_is_written() -> None:
    code = "import sys, components.feedback_handler.handler; assert 'boto3' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_client_factory_builds_one_firehose_client() -> None:
    feedback._firehose_client.cache_clear()
    try:
        with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "eu-west-1"}):
            client = cast(Any, feedback._firehose_client())
            # Built once per container, reused by every invocation.
            assert cast(Any, feedback._firehose_client()) is client
        assert client.meta.service_model.service_name == "firehose"
        assert client.meta.region_name == "eu-west-1"
        assert client.meta.config.retries["mode"] == "standard"
    finally:
        feedback._firehose_client.cache_clear()


def test_inference_id_rule_matches_sagemaker() -> None:
    """botocore's service model is the oracle: a change to InferenceId must change the handler."""
    runtime = botocore.session.get_session().get_service_model("sagemaker-runtime")
    for operation in ("InvokeEndpoint", "InvokeEndpointAsync", "InvokeEndpointWithResponseStream"):
        shape = runtime.operation_model(operation).input_shape.members["InferenceId"]
        assert shape.metadata == {"min": 1, "max": feedback.INFERENCE_ID_MAX_LENGTH, "pattern": r"\A\S[\p{Print}]*\z"}


# --- properties -----------------------------------------------------------------------------------

_finite = st.floats(allow_nan=False, allow_infinity=False)
_integers = st.integers(min_value=-(2**63), max_value=2**63)
_offsets = st.integers(min_value=-18 * 60 + 1, max_value=18 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))


@st.composite
def valid_payloads(draw: st.DrawFn) -> dict[str, Any]:
    first = draw(st.characters(min_codepoint=0x21, max_codepoint=0x7E))
    rest = draw(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=63))
    moment = draw(st.datetimes(timezones=st.just(UTC) | _offsets))
    stamp = moment.isoformat()
    if moment.utcoffset() == timedelta(0) and draw(st.booleans()):
        stamp = stamp.replace("+00:00", "Z")
    sent: dict[str, Any] = {
        "endpoint": draw(st.sampled_from(ENDPOINTS)),
        "inference_id": first + rest,
        "timestamp": stamp,
    }
    if draw(st.booleans()):
        sent["label"] = draw(st.text(min_size=1, max_size=256) | _integers | _finite | st.booleans())
    else:
        sent["score"] = draw(_integers | _finite)
    if draw(st.booleans()):
        sent["metadata"] = draw(
            st.dictionaries(
                st.text(min_size=1, max_size=128),
                st.text(max_size=1024) | _integers | _finite | st.booleans(),
                max_size=32,
            )
        )
    return sent


@settings(max_examples=150, deadline=None)
@given(sent=valid_payloads(), encode=st.booleans(), ascii_only=st.booleans())
def test_any_valid_payload_is_written_unchanged(sent: dict[str, Any], encode: bool, ascii_only: bool) -> None:
    text = json.dumps(sent, ensure_ascii=ascii_only)
    body = base64.b64encode(text.encode("utf-8")).decode() if encode else text
    with deployed(max_body_bytes=1_000_000) as fake:
        status, answer, _ = call(body, base64_encoded=encode)
    assert (status, answer) == (202, {"status": "accepted", "inference_id": sent["inference_id"]})
    record = written(fake)
    assert {k: v for k, v in record.items() if k not in ("received_at", "request_id")} == sent


@settings(max_examples=100, deadline=None)
@given(data=st.binary(min_size=65, max_size=4_000), encode=st.booleans())
def test_any_body_over_the_limit_is_413(data: bytes, encode: bool) -> None:
    body = base64.b64encode(data).decode() if encode else data.decode("latin-1")
    with deployed(max_body_bytes=64) as fake:
        status, answer, _ = call(body, base64_encoded=encode)
    assert (status, answer) == (413, {"error": "the request body is larger than 64 bytes", "field": None})
    assert fake.records == []
