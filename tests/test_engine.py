"""The offline engine on small hand-written programs: what it captures and how it shows values."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from mlstack.stack.plan.engine import FAKE_ACCOUNT_ID, SECRET_TEXT, UNKNOWN_TEXT, run_offline


def test_captures_parents_dependencies_and_plain_values() -> None:
    def program() -> dict[str, pulumi.Output[Any]]:
        parent = pulumi.ComponentResource("test:index:Group", "group")
        key = aws.kms.Key("key", deletion_window_in_days=7, opts=pulumi.ResourceOptions(parent=parent))
        bucket = aws.s3.Bucket("bucket", bucket="named-bucket", opts=pulumi.ResourceOptions(parent=parent))
        aws.s3.BucketPolicy("secret-policy", bucket=bucket.id, policy=pulumi.Output.secret("{}"))
        aws.s3.BucketPolicy("later-policy", bucket=bucket.id, policy=key.arn)
        identity = aws.get_caller_identity_output()
        return {"account": identity.account_id, "key": key.arn, "bucket": bucket.bucket}

    plan = run_offline(program, project="p", stack="s", region="eu-west-1")
    group = plan.get("test:index:Group", "group")
    key = plan.get("aws:kms/key:Key", "key")
    assert key.parent == group.urn
    assert group.parent is None
    # Ints arrive as floats on the wire and are restored.
    assert key.inputs["deletionWindowInDays"] == 7
    assert isinstance(key.inputs["deletionWindowInDays"], int)
    secret = plan.get("aws:s3/bucketPolicy:BucketPolicy", "secret-policy")
    assert secret.inputs["policy"] == SECRET_TEXT
    later = plan.get("aws:s3/bucketPolicy:BucketPolicy", "later-policy")
    assert later.inputs["policy"] == UNKNOWN_TEXT
    assert key.urn in later.dependencies
    # The bucket's id is its given name; so a policy on it knows the bucket.
    assert secret.inputs["bucket"] == "named-bucket"
    assert plan.outputs == {"account": FAKE_ACCOUNT_ID, "bucket": "named-bucket", "key": UNKNOWN_TEXT}
    names = [r.name for r in plan.resources]
    # Parents come before their children, siblings in URN order.
    assert names == ["later-policy", "secret-policy", "group", "key", "bucket"]


def test_partition_follows_the_region() -> None:
    def program() -> dict[str, pulumi.Output[Any]]:
        return {"partition": aws.get_partition_output().partition}

    assert run_offline(program, project="p", stack="s", region="cn-north-1").outputs == {"partition": "aws-cn"}
    assert run_offline(program, project="p", stack="s", region="us-gov-west-1").outputs == {"partition": "aws-us-gov"}


def test_consecutive_plans_do_not_leak_into_each_other() -> None:
    def one(name: str) -> dict[str, pulumi.Output[Any]]:
        aws.kms.Key(name)
        return {}

    first = run_offline(lambda: one("first"), project="p", stack="a", region="eu-west-1")
    second = run_offline(lambda: one("second"), project="p", stack="b", region="eu-west-1")
    assert [r.name for r in first.resources] == ["first"]
    assert [r.name for r in second.resources] == ["second"]
    assert second.resources[0].urn == "urn:pulumi:b::p::pulumi:pulumi:Stack$aws:kms/key:Key::second"


def test_a_plan_closes_its_event_loop_at_exit() -> None:
    """Left open, the loop was closed by the garbage collector during teardown, which sometimes
    printed "Exception ignored in BaseEventLoop.__del__ ... Invalid file descriptor: -1" after a
    good plan. Python's development mode reports every loop left unclosed at exit."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    code = (
        "from pathlib import Path\n"
        "from stack.plan import plan_file\n"
        "for _ in range(2):\n"
        "    plan_file(Path('blueprints/examples/fraud-minimal.yaml'), 'prod')\n"
    )
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-c", code], cwd=repo, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "unclosed event loop" not in result.stderr
    assert "Exception ignored" not in result.stderr
