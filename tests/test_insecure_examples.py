"""Deliberately insecure platforms (tests/data/insecure/) fire exactly the expected rules, with exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

INSECURE = Path(__file__).parent / "data" / "insecure"
CHECK = [sys.executable, "-m", "mlstack", "check"]
EXPECTED = {
    "unprotected-bucket.json": {
        "kms-key-rotation",
        "s3-bucket-public-access-block",
        "s3-bucket-sse-kms",
        "s3-bucket-tls-only",
        "s3-bucket-versioning",
    },
    "wildcard-iam.json": {"iam-no-wildcard-actions", "iam-no-wildcard-resources-on-write"},
    "open-endpoint.json": {
        "required-tags",
        "sagemaker-endpoint-config-kms",
        "sagemaker-model-in-vpc-prod",
        "sagemaker-model-network-isolation",
        "sagemaker-prod-endpoint-alarms",
        "sagemaker-prod-endpoint-autoscaling",
        "sagemaker-prod-instance-count",
    },
}


def test_every_insecure_example_has_expectations() -> None:
    assert {p.name for p in INSECURE.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_insecure_example_fires_its_rules(name: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = subprocess.run(
        [*CHECK, "--env", "prod", "--preview-json", str(INSECURE / name), "--format", "json", "--output", str(report)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    findings = json.loads(report.read_text())["findings"]
    fired = {f["rule"] for f in findings if f["level"] == "mandatory" and not f["suppressed"]}
    assert fired == EXPECTED[name]


def test_the_same_examples_are_advisory_in_dev(tmp_path: Path) -> None:
    arguments = ["--env", "dev", "--preview-json", str(INSECURE / "wildcard-iam.json"), "--format", "json"]
    result = subprocess.run(
        [*CHECK, *arguments, "--output", str(tmp_path / "r.json")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
