"""`mlstack status / shift / promote / rollback` against a real moto server, through a fault proxy.

The endpoints are created from the plan's own requests (tests/moto_ops.deploy, from the API
oracle's translations), so the names the commands look for are the ones `pulumi up` makes. The
commands reach moto the way they reach AWS: boto3's standard chain with AWS_ENDPOINT_URL set to
the proxy, in process (typer's runner) or as subprocesses where a run must be killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from mlstack.stack.cli.app import app
from mlstack.stack.plan import plan_file
from tests.conftest import REPO
from tests.moto_ops import (
    Clients,
    FaultProxy,
    MotoServer,
    aws_environment,
    clients,
    deploy,
    deploy_config,
    fault_proxy,
    moto_server,
)

REGION = "us-east-1"
OPS = REPO / "tests" / "data" / "ops" / "ops.yaml"
RANKER = "opsdemo-prod-ranker"
FAST = ("--poll", "100ms", "--timeout", "20s")
LEDGER = f"/mlstack/rollouts/{RANKER}"
SHIFT = ("shift", str(OPS), "--env", "prod", "--endpoint", "ranker", "--to", "challenger")


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    with moto_server() as running:
        yield running


@pytest.fixture(scope="module")
def proxy(server: MotoServer) -> Iterator[FaultProxy]:
    with fault_proxy(server.url) as running:
        yield running


@pytest.fixture
def aws(server: MotoServer, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch) -> Clients:
    """A fresh moto with the prod plan of ops.yaml deployed; the commands' environment points at the proxy."""
    server.reset()
    proxy.clear()
    proxy.clear_calls()
    for name, value in {**aws_environment(proxy.url, REGION), "AWS_MAX_ATTEMPTS": "3"}.items():
        monkeypatch.setenv(name, value)
    _, plan = plan_file(OPS, "prod")
    deploy(plan, endpoint_url=server.url, region=REGION)
    return clients(server.url, REGION)


def mlstack(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def weights(aws: Clients, endpoint: str = RANKER) -> dict[str, float]:
    described = aws.sagemaker.describe_endpoint(EndpointName=endpoint)
    return {v["VariantName"]: v["DesiredWeight"] for v in described["ProductionVariants"]}


def shares(aws: Clients, endpoint: str = RANKER) -> dict[str, float]:
    live = weights(aws, endpoint)
    return {name: round(100 * weight / sum(live.values()), 4) for name, weight in live.items()}


def ledger(aws: Clients) -> list[dict[str, Any]]:
    found = aws.ssm.get_parameters_by_path(Path=LEDGER)["Parameters"]
    return [json.loads(p["Value"]) for p in sorted(found, key=lambda p: p["Name"])]


def set_alarm(aws: Clients, name: str, state: str) -> None:
    aws.cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"test set {state}")


# --- status ---------------------------------------------------------------------------------------


def test_status_in_sync(aws: Clients) -> None:
    result = mlstack("status", str(OPS), "--env", "prod")
    assert result.exit_code == 0, result.output
    assert "2 of 2 endpoints in sync" in result.stdout
    assert "90% / 90%" in result.stdout and "configuration opsdemo-prod-ranker-" in result.stdout
    document = json.loads(mlstack("status", str(OPS), "--env", "prod", "--json").stdout)
    assert [e["inSync"] for e in document] == [True, True]
    assert document[0]["alarms"] and set(document[0]["alarms"].values()) <= {"INSUFFICIENT_DATA", "OK"}


def test_status_reports_a_silent_rollback(server: MotoServer, aws: Clients, tmp_path: Path) -> None:
    # The previous blueprint (80/20) was deployed first; `pulumi up` of today's moved the endpoint to
    # the new configuration; then SageMaker rolled back to the old one and reports InService.
    older = tmp_path / "ops.yaml"
    older.write_text(OPS.read_text().replace("weight: 90}", "weight: 80}").replace("weight: 10}", "weight: 20}"))
    _, old_plan = plan_file(older, "prod")
    old_config = deploy_config(old_plan, RANKER, endpoint_url=server.url, region=REGION)
    time.sleep(0.01)
    _, plan = plan_file(OPS, "prod")
    new_config = aws.sagemaker.describe_endpoint(EndpointName=RANKER)["EndpointConfigName"]
    # The plan's configuration must be the newer one: recreate it after the old one.
    aws.sagemaker.update_endpoint(EndpointName=RANKER, EndpointConfigName=old_config)
    aws.sagemaker.delete_endpoint_config(EndpointConfigName=new_config)
    deploy_config(plan, RANKER, endpoint_url=server.url, region=REGION, activate=True)
    aws.sagemaker.update_endpoint(EndpointName=RANKER, EndpointConfigName=old_config)

    result = mlstack("status", str(OPS), "--env", "prod")
    assert result.exit_code == 1, result.output
    assert f"rollback: SageMaker rolled back: the endpoint serves the older configuration {old_config}" in result.stdout
    assert "not in sync: ranker (rollback)" in result.stdout


def test_status_reports_drift(aws: Clients) -> None:
    aws.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=RANKER,
        DesiredWeightsAndCapacities=[
            {"VariantName": "champion", "DesiredWeight": 50.0},
            {"VariantName": "challenger", "DesiredWeight": 50.0},
        ],
    )
    aws.autoscaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=f"endpoint/{RANKER}/variant/champion",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=1,
        MaxCapacity=6,
    )
    result = mlstack("status", str(OPS), "--env", "prod")
    assert result.exit_code == 1, result.output
    assert "drift: traffic is champion 50%, challenger 50%; the blueprint says champion 90%, challenger 10%" in (
        result.stdout
    )
    assert "drift: champion scales 1-6; the blueprint says 2-6" in result.stdout
    # The edit that would make the blueprint say what the endpoint does.
    assert "-      - {name: champion, model: champion, instance_type: ml.m5.xlarge, instances: 2, weight: 90}" in (
        result.stdout
    )
    assert "+      - {name: champion, model: champion, instance_type: ml.m5.xlarge, instances: 2, weight: 50}" in (
        result.stdout
    )


def test_status_before_any_deploy(server: MotoServer, aws: Clients) -> None:
    server.reset()
    result = mlstack("status", str(OPS), "--env", "prod")
    assert result.exit_code == 1
    assert f"not-deployed: {RANKER} does not exist: run `pulumi up`" in result.stdout


# --- shift, promote, rollback ---------------------------------------------------------------------


def test_a_shift_completes_and_prints_the_edit_that_keeps_it(aws: Clients, proxy: FaultProxy) -> None:
    result = mlstack(*SHIFT, "--steps", "25,50,100", "--bake", "200ms", *FAST, "--yes")
    assert result.exit_code == 0, result.output
    assert shares(aws) == {"champion": 0, "challenger": 100}
    assert proxy.calls.count("UpdateEndpointWeightsAndCapacities") == 3
    for step in ("step 1/3: challenger 25%", "step 2/3: challenger 50%", "step 3/3: challenger 100%"):
        assert f"{step}: baked 200ms with no alarm" in result.stderr
    assert "+      - {name: challenger, model: challenger, instance_type: ml.m5.xlarge, instances: 1, weight: 100}" in (
        result.stdout
    )
    [record] = ledger(aws)
    assert record["state"] == "finished" and record["finished_steps"] == 3
    # Until the blueprint is edited, status says the endpoint drifted from it.
    after = mlstack("status", str(OPS), "--env", "prod")
    assert after.exit_code == 1 and "drift: traffic is champion 0%, challenger 100%" in after.stdout
    restored = mlstack("rollback", str(OPS), "--env", "prod", "--endpoint", "ranker", *FAST, "--yes")
    assert restored.exit_code == 0, restored.output
    assert shares(aws) == {"champion": 90, "challenger": 10}
    assert mlstack("status", str(OPS), "--env", "prod").exit_code == 0


def test_promote_in_one_step(aws: Clients) -> None:
    result = mlstack(
        "promote", str(OPS), "--env", "prod", "--endpoint", "ranker", "--to", "challenger", "--bake", "0s", *FAST, "-y"
    )
    assert result.exit_code == 0, result.output
    assert shares(aws) == {"champion": 0, "challenger": 100}


def test_a_dry_run_and_an_unconfirmed_run_change_nothing(aws: Clients, proxy: FaultProxy) -> None:
    dry = mlstack("shift", str(OPS), "--env", "prod", "--endpoint", "ranker", "--to", "challenger", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing changed" in dry.stdout and "challenger weight" in dry.stdout
    unasked = mlstack("shift", str(OPS), "--env", "prod", "--endpoint", "ranker", "--to", "challenger")
    assert unasked.exit_code == 2
    assert "pass --yes" in unasked.stderr
    assert "UpdateEndpointWeightsAndCapacities" not in proxy.calls and "PutParameter" not in proxy.calls
    assert shares(aws) == {"champion": 90, "challenger": 10}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--to", "champoin"), "'champoin' is not a production variant of ranker"),
        (("--to", "challenger", "--steps", "50,25"), "mlstack: --steps: '50,25': steps must increase"),
        (("--to", "challenger", "--bake", "ten"), "mlstack: --bake: 'ten' is not a duration"),
    ],
)
def test_bad_flags(aws: Clients, args: tuple[str, ...], message: str) -> None:
    result = mlstack("shift", str(OPS), "--env", "prod", "--endpoint", "ranker", *args, "--yes")
    assert message in result.stderr
    assert result.exit_code == (1 if "production variant" in message else 2)


def test_an_unknown_endpoint_is_bad_input(aws: Clients) -> None:
    result = mlstack("rollback", str(OPS), "--env", "prod", "--endpoint", "rankr", "--yes")
    assert result.exit_code == 2
    assert "no endpoint named 'rankr' in this blueprint (it has: ranker, scorer)" in result.stderr


def test_rollback_to_the_fallback_model(aws: Clients) -> None:
    _, plan = plan_file(OPS, "prod")
    fallback = plan.outputs["fallback_model_ranker"]
    result = mlstack("rollback", str(OPS), "--env", "prod", "--endpoint", "ranker", "--to-fallback", *FAST, "--yes")
    assert result.exit_code == 0, result.output
    live = aws.sagemaker.describe_endpoint(EndpointName=RANKER)
    config = aws.sagemaker.describe_endpoint_config(EndpointConfigName=live["EndpointConfigName"])
    assert {v["ModelName"] for v in config["ProductionVariants"]} == {fallback}
    assert "+      - {name: challenger, model: champion," in result.stdout
    status = mlstack("status", str(OPS), "--env", "prod")
    assert status.exit_code == 1
    assert "made by `mlstack rollback --to-fallback of opsdemo-prod-ranker-" in status.stdout


# --- alarms, locks, kills -------------------------------------------------------------------------


def _env(proxy: FaultProxy) -> dict[str, str]:
    return {**os.environ, **aws_environment(proxy.url, REGION), "AWS_MAX_ATTEMPTS": "3"}


def _start_shift(proxy: FaultProxy, steps: str, bake: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mlstack", *SHIFT, "--steps", steps, "--bake", bake, *FAST, "--yes"],
        env=_env(proxy),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_an_alarm_mid_bake_aborts_and_restores_the_weights(aws: Clients, proxy: FaultProxy) -> None:
    run = _start_shift(proxy, "25,100", "30s")
    _wait_for(lambda: shares(aws)["challenger"] == 25, "step 1")
    time.sleep(0.3)
    set_alarm(aws, f"{RANKER}-challenger-p99-latency", "ALARM")
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 1, stderr
    assert f"aborted at step 1/2: challenger 25%: {RANKER}-challenger-p99-latency (test set ALARM)" in stderr
    assert "The starting weights are back: champion 90%, challenger 10%" in stderr
    assert shares(aws) == {"champion": 90, "challenger": 10}
    assert ledger(aws)[-1]["state"] == "aborted"


def test_a_second_run_is_refused_while_one_holds_the_endpoint(aws: Clients, proxy: FaultProxy) -> None:
    holder = _start_shift(proxy, "25,100", "30s")
    try:
        _wait_for(lambda: shares(aws)["challenger"] == 25, "the first run's step 1")
        second = mlstack(*SHIFT, "--steps", "25,100", "--bake", "0s", *FAST, "--yes")
        assert second.exit_code == 1
        assert f"{RANKER} is held by `mlstack shift` (run " in second.stderr
        assert f"pid {holder.pid}" in second.stderr
        assert shares(aws)["challenger"] == 25
    finally:
        holder.kill()
        holder.communicate()


def test_a_killed_run_is_resumed_from_its_last_finished_step(aws: Clients, proxy: FaultProxy) -> None:
    killed = _start_shift(proxy, "10,50,100", "1s")
    _wait_for(lambda: any(r["finished_steps"] >= 1 for r in ledger(aws)), "step 1 to finish")
    killed.send_signal(signal.SIGKILL)
    killed.communicate()
    [record] = ledger(aws)
    assert record["state"] == "running" and record["owner_pid"] == killed.pid
    # Whatever moment it died at, the endpoint holds a split a step defined.
    assert shares(aws)["challenger"] in {10, 50}
    finished = record["finished_steps"]

    resumed = subprocess.run(
        [sys.executable, "-m", "mlstack", *SHIFT, "--steps", "10,50,100", "--bake", "100ms", *FAST, "--yes"],
        env=_env(proxy),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming run {record['run']}" in resumed.stdout and f"after step {finished}/3" in resumed.stdout
    assert "step 1/3" not in resumed.stderr
    assert shares(aws) == {"champion": 0, "challenger": 100}
    assert ledger(aws)[-1]["state"] == "finished"
    # The resumed run kept the first run's starting weights: an alarm would have restored 90/10.
    assert ledger(aws)[-1]["start_weights"] == {"champion": 90.0, "challenger": 10.0}


# --- faults on the wire ---------------------------------------------------------------------------


def _shift_in_process(*extra: str) -> Any:
    return mlstack(*SHIFT, "--steps", "50,100", "--bake", "0s", *FAST, "--yes", *extra)


def test_throttling_is_retried_with_backoff(aws: Clients, proxy: FaultProxy) -> None:
    proxy.fail("UpdateEndpointWeightsAndCapacities", "throttle", times=2)
    result = _shift_in_process()
    assert result.exit_code == 0, result.output
    assert proxy.calls.count("UpdateEndpointWeightsAndCapacities") == 4  # 2 throttled + 2 steps
    assert shares(aws) == {"champion": 0, "challenger": 100}


def test_throttling_past_the_retries_stops_at_a_defined_step(aws: Clients, proxy: FaultProxy) -> None:
    proxy.fail("UpdateEndpointWeightsAndCapacities", "throttle", times=3)
    result = _shift_in_process()
    assert result.exit_code == 1
    assert (
        "sagemaker:UpdateEndpointWeightsAndCapacities: AWS kept throttling the call (ThrottlingException) "
        "after 3 attempts with backoff"
    ) in result.stderr
    assert "The endpoint holds the weights this run found (champion 90%, challenger 10%); 0/2 steps finished" in (
        result.stderr
    )
    assert shares(aws) == {"champion": 90, "challenger": 10}
    assert ledger(aws)[-1]["state"] == "interrupted"
    # The same command resumes it.
    assert _shift_in_process().exit_code == 0
    assert shares(aws) == {"champion": 0, "challenger": 100}


def test_server_errors_past_the_retries(aws: Clients, proxy: FaultProxy) -> None:
    # The first step goes through; the second gets HTTP 500 on every attempt.
    calls = {"n": 0}

    def after_first(response: dict[str, Any]) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 1:
            proxy.fail("UpdateEndpointWeightsAndCapacities", "server-error", times=3)
        return response

    proxy.rewrite("UpdateEndpointWeightsAndCapacities", after_first)
    result = _shift_in_process()
    assert result.exit_code == 1
    assert (
        "sagemaker:UpdateEndpointWeightsAndCapacities: AWS failed with HTTP 500 (InternalFailure) after 3 attempts"
        in (result.stderr)
    )
    assert "holds step 1's weights (champion 50%, challenger 50%); 1/2 steps finished" in result.stderr
    assert shares(aws) == {"champion": 50, "challenger": 50}


def test_an_endpoint_stuck_updating_times_out(aws: Clients, proxy: FaultProxy) -> None:
    def stuck(response: dict[str, Any]) -> dict[str, Any]:
        if "UpdateEndpointWeightsAndCapacities" in proxy.calls:
            return {**response, "EndpointStatus": "Updating"}
        return response

    proxy.rewrite("DescribeEndpoint", stuck)
    result = mlstack(*SHIFT, "--steps", "50,100", "--bake", "0s", "--poll", "100ms", "--timeout", "1s", "--yes")
    assert result.exit_code == 1
    assert f"{RANKER} is still Updating 1s after step 1/2: challenger 50% (--timeout 1s)" in result.stderr
    assert "holds step 1's weights (champion 50%, challenger 50%); 0/2 steps finished" in result.stderr
    assert ledger(aws)[-1]["state"] == "interrupted"
    # While it is stuck, nothing else moves it.
    again = _shift_in_process()
    assert again.exit_code == 1 and "is Updating; weights can only change on an InService endpoint" in again.stderr


def test_access_denied_names_the_permission(aws: Clients, proxy: FaultProxy) -> None:
    proxy.deny("UpdateEndpointWeightsAndCapacities")
    result = _shift_in_process()
    assert result.exit_code == 1
    assert (
        "AWS denied sagemaker:UpdateEndpointWeightsAndCapacities in us-east-1: the credentials in use lack the IAM "
        "permission sagemaker:UpdateEndpointWeightsAndCapacities"
    ) in result.stderr
    assert proxy.calls.count("UpdateEndpointWeightsAndCapacities") == 1  # not retried
    assert shares(aws) == {"champion": 90, "challenger": 10}


def test_no_credentials_is_an_unusable_environment(aws: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    result = mlstack("status", str(OPS), "--env", "prod")
    assert result.exit_code == 2
    assert "no AWS credentials" in result.stderr


def test_stack_outputs_of_another_stack_are_refused(aws: Clients, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"endpoint_ranker": "opsdemo-dev-ranker"}))
    result = mlstack("status", str(OPS), "--env", "prod", "--outputs", str(outputs))
    assert result.exit_code == 2
    assert "these outputs are from another stack" in result.stderr
    outputs.write_text(yaml.safe_dump({"endpoint_ranker": RANKER}))
    assert mlstack("status", str(OPS), "--env", "prod", "--outputs", str(outputs)).exit_code == 2
    outputs.write_text(json.dumps({"endpoint_ranker": RANKER}))
    assert mlstack("status", str(OPS), "--env", "prod", "--outputs", str(outputs)).exit_code == 0


def test_rollback_take_over_stops_a_live_shift(aws: Clients, proxy: FaultProxy) -> None:
    holder = _start_shift(proxy, "25,100", "30s")
    try:
        _wait_for(lambda: shares(aws)["challenger"] == 25, "the shift's step 1")
        refused = mlstack("rollback", str(OPS), "--env", "prod", "--endpoint", "ranker", *FAST, "--yes")
        assert refused.exit_code == 1 and "is held by `mlstack shift`" in refused.stderr
        taken = mlstack("rollback", str(OPS), "--env", "prod", "--endpoint", "ranker", "--take-over", *FAST, "--yes")
        assert taken.exit_code == 0, taken.output
        _, stderr = holder.communicate(timeout=60)
    finally:
        holder.kill()
    assert holder.returncode == 1
    assert f"{RANKER} was taken over by `mlstack rollback`" in stderr
    assert "this run stopped without changing the weights again" in stderr
    assert shares(aws) == {"champion": 90, "challenger": 10}
    assert proxy.calls.count("UpdateEndpointWeightsAndCapacities") == 2  # the shift's step 1, the rollback


def test_waits_show_a_progress_bar_in_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    from mlstack.stack.cli import ops

    screen = io.StringIO()
    monkeypatch.setattr(ops, "err", Console(file=screen, force_terminal=True, width=100))
    reporter = ops.ConsoleReporter()
    update = reporter.wait("step 2/4: challenger 25%: baking", 600)
    update(150, "7m30s left")
    reporter.done_waiting()
    shown = screen.getvalue()
    assert "step 2/4: challenger 25%: baking" in shown and "7m30s left" in shown


def test_status_says_which_endpoints_it_does_not_check(aws: Clients) -> None:
    components = Path(__file__).resolve().parents[1] / "blueprints" / "examples" / "inference-components.yaml"
    result = mlstack("status", str(components), "--env", "dev")
    assert result.exit_code == 0, result.output
    assert "no variant endpoints in dev; not checked: small-models (inference components" in result.output
    refused = mlstack("shift", str(components), "--env", "dev", "--endpoint", "small-models", "--to", "intent")
    assert refused.exit_code == 2
    assert "hosts inference components" in refused.output
