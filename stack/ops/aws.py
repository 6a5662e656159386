"""boto3 clients for day-2 commands, and AWS errors turned into messages a user can act on.

Retries are botocore's "standard" mode: throttling and transient 5xx errors are retried with
exponential backoff and full jitter, a bounded number of times (AWS_MAX_ATTEMPTS, default 5;
https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html). Whatever is left
after the retries becomes an OpsFailed naming the call, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

DEFAULT_MAX_ATTEMPTS = 5

# The service prefix of each client's IAM actions (the Service Authorization Reference), for
# naming the permission an AccessDenied lacks.
_IAM_PREFIX = {
    "sagemaker": "sagemaker",
    "cloudwatch": "cloudwatch",
    "application-autoscaling": "application-autoscaling",
    "ssm": "ssm",
}
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized"})
_THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "RequestThrottledException",
    }
)
_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId"})


class OpsFailed(Exception):
    """An operation on AWS did not complete (exit 1); the message says what to do."""


class OpsUnusable(Exception):
    """The environment cannot reach AWS at all: no credentials, no region (exit 2)."""


class ApiError(Exception):
    """An AWS error a caller may expect and handle (e.g. ParameterAlreadyExists); otherwise exit 1."""

    def __init__(self, action: str, code: str, message: str) -> None:
        super().__init__(f"{action} failed: {code}: {message}")
        self.action = action
        self.code = code
        self.message = message


def _max_attempts() -> int:
    configured = os.environ.get("AWS_MAX_ATTEMPTS", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else DEFAULT_MAX_ATTEMPTS


class Aws:
    """The four clients the commands use, in the blueprint's region, through the usual credential chain."""

    def __init__(self, region: str, session: boto3.session.Session | None = None) -> None:
        self.region = region
        self.session = session or boto3.session.Session()
        self.max_attempts = _max_attempts()
        self._config = Config(
            # total_max_attempts counts the first attempt too, as AWS_MAX_ATTEMPTS does; botocore's
            # `max_attempts` key counts only retries.
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra="mlstack-ops",
        )
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, region_name=self.region, config=self._config)
        return self._clients[service]

    def call(self, service: str, operation: str, **params: Any) -> Mapping[str, Any]:
        """`client.<operation>(**params)`; AWS's refusals become OpsFailed/OpsUnusable, or ApiError."""
        client = self.client(service)
        action = f"{_IAM_PREFIX.get(service, service)}:{client.meta.method_to_api_mapping.get(operation, operation)}"
        try:
            response: Mapping[str, Any] = getattr(client, operation)(**params)
        except ClientError as error:
            raise self._client_error(error, action) from None
        except (NoCredentialsError, PartialCredentialsError) as error:
            raise OpsUnusable(
                f"no AWS credentials ({error}); mlstack uses boto3's chain: AWS_PROFILE or the environment's keys, "
                "SSO (`aws sso login`), or an instance or task role"
            ) from None
        except NoRegionError:
            raise OpsUnusable("no AWS region") from None
        except EndpointConnectionError as error:
            raise OpsFailed(f"{action}: cannot reach AWS at {error.kwargs.get('endpoint_url')}") from None
        except BotoCoreError as error:
            raise OpsFailed(f"{action}: {error}") from None
        return response

    def _client_error(self, error: ClientError, action: str) -> Exception:
        details = error.response.get("Error", {})
        code = str(details.get("Code", "Unknown"))
        message = str(details.get("Message", "") or error)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        attempts = int(error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0) + 1
        if code in _DENIED:
            return OpsFailed(
                f"AWS denied {action} in {self.region}: the credentials in use lack the IAM permission {action}. "
                f"Grant it (README: Operating a live platform, permissions) and run the command again. "
                f"AWS said: {message}"
            )
        if code in _EXPIRED:
            return OpsUnusable(f"{action}: the AWS credentials are expired or invalid ({code}): {message}")
        if code in _THROTTLED:
            return OpsFailed(
                f"{action}: AWS kept throttling the call ({code}) after {attempts} attempts with backoff; "
                "wait and run the command again"
            )
        if status >= 500:
            return OpsFailed(
                f"{action}: AWS failed with HTTP {status} ({code}) after {attempts} attempts: {message}; "
                "run the command again"
            )
        return ApiError(action, code, message)
