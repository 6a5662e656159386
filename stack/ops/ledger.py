"""The lock and the progress of a traffic change, kept in SSM Parameter Store beside the endpoint.

Each run of `shift`, `promote` or `rollback` on an endpoint writes one *generation*: a parameter
`/mlstack/rollouts/<endpoint>/<generation>` holding the run's progress as JSON. A run takes the lock
by creating the next generation with `Overwrite=False`, which SSM refuses with
ParameterAlreadyExists when another run created it first: of two concurrent runs exactly one
wins, with no table to provision. Only the holder writes its own generation afterwards
(heartbeats and finished steps), so those writes never race.

A generation in state `running` is held while its owner lives. It is abandoned when its heartbeat
is older than the lease, or at once when its owner ran on this host and its process is gone (a
killed run resumed from the same machine). A later run takes an abandoned or interrupted run over
and resumes it from its last finished step.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from mlstack.stack.ops.aws import ApiError, Aws, OpsFailed

PARAMETER_ROOT = "/mlstack/rollouts"
LEASE_SECONDS = 300.0
KEPT_GENERATIONS = 2
State = Literal["running", "finished", "aborted", "interrupted", "superseded"]


@dataclass(frozen=True)
class Progress:
    """One run's record: what it does, where it got to, and who runs it."""

    command: str
    target: str
    """The variant traffic moves to ("" for a rollback)."""
    steps: tuple[float, ...]
    start_weights: Mapping[str, float]
    state: State = "running"
    finished_steps: int = 0
    """How many steps are applied, settled and baked."""
    owner_host: str = field(default_factory=socket.gethostname)
    owner_pid: int = field(default_factory=os.getpid)
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started: float = field(default_factory=time.time)
    heartbeat: float = field(default_factory=time.time)
    detail: str = ""

    def to_json(self) -> str:
        data = asdict(self)
        data["steps"] = list(self.steps)
        data["start_weights"] = dict(self.start_weights)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Progress | None:
        try:
            data = json.loads(text)
            return cls(
                command=str(data["command"]),
                target=str(data["target"]),
                steps=tuple(float(s) for s in data["steps"]),
                start_weights={str(k): float(v) for k, v in data["start_weights"].items()},
                state=data["state"],
                finished_steps=int(data["finished_steps"]),
                owner_host=str(data["owner_host"]),
                owner_pid=int(data["owner_pid"]),
                run=str(data["run"]),
                started=float(data["started"]),
                heartbeat=float(data["heartbeat"]),
                detail=str(data.get("detail", "")),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    @property
    def owner(self) -> str:
        return f"{self.owner_host} pid {self.owner_pid}"

    def same_change(self, command_target: str, steps: tuple[float, ...]) -> bool:
        return self.target == command_target and self.steps == steps


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandoned(progress: Progress, *, lease: float = LEASE_SECONDS, now: float | None = None) -> bool:
    """A `running` record whose owner is gone: dead on this host, or silent for longer than the lease."""
    if progress.state != "running":
        return False
    if progress.owner_host == socket.gethostname() and not _process_alive(progress.owner_pid):
        return True
    return (now if now is not None else time.time()) - progress.heartbeat > lease


class Held(OpsFailed):
    """Another live run holds the endpoint."""


class LostLock(OpsFailed):
    """This run's lock was taken over (a rollback with --take-over): it must not touch the endpoint again."""


def parameter_path(endpoint_name: str) -> str:
    return f"{PARAMETER_ROOT}/{endpoint_name}"


@dataclass
class Ledger:
    """The generations of one endpoint's records."""

    aws: Aws
    endpoint_name: str
    lease: float = LEASE_SECONDS

    def _generations(self) -> list[tuple[int, str, Progress | None]]:
        found: list[tuple[int, str, Progress | None]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Path": parameter_path(self.endpoint_name), "Recursive": False}
            if token:
                params["NextToken"] = token
            response = self.aws.call("ssm", "get_parameters_by_path", **params)
            for parameter in response.get("Parameters") or ():
                name = str(parameter["Name"])
                suffix = name.rsplit("/", 1)[-1]
                if suffix.isdigit():
                    found.append((int(suffix), name, Progress.from_json(str(parameter.get("Value", "")))))
            token = response.get("NextToken")
            if not token:
                return sorted(found)

    def latest(self) -> tuple[int, Progress | None]:
        """The newest generation and its record; (0, None) when the endpoint has none."""
        generations = self._generations()
        if not generations:
            return 0, None
        generation, _, progress = generations[-1]
        return generation, progress

    def acquire(self, progress: Progress, *, take_over: bool = False) -> Lock:
        """Take the endpoint for `progress`, or raise Held naming the live run that has it."""
        generation, current = self.latest()
        held = current is not None and current.state == "running" and not abandoned(current, lease=self.lease)
        if held and current is not None and not take_over:
            age = max(0.0, time.time() - current.heartbeat)
            raise Held(
                f"{self.endpoint_name} is held by `mlstack {current.command}` (run {current.run}, {current.owner}, "
                f"step {current.finished_steps}/{len(current.steps)} finished, last heartbeat {age:.0f} s ago). "
                f"Wait for it; a run whose owner died is taken over after {self.lease:.0f} s without a heartbeat, "
                "or at once from the same host. `mlstack rollback --take-over` stops it and restores the weights."
            )
        name = f"{parameter_path(self.endpoint_name)}/{generation + 1:08d}"
        try:
            self.aws.call(
                "ssm",
                "put_parameter",
                Name=name,
                Value=progress.to_json(),
                Type="String",
                Overwrite=False,
                Description=f"mlstack {progress.command} of SageMaker endpoint {self.endpoint_name}",
            )
        except ApiError as error:
            if error.code == "ParameterAlreadyExists":
                raise Held(
                    f"another run took {self.endpoint_name} at the same moment (generation {generation + 1}); "
                    "run `mlstack status` to see it"
                ) from None
            raise
        lock = Lock(self, name, progress, previous=current)
        self._forget_older_than(generation + 1)
        return lock

    def _forget_older_than(self, generation: int) -> None:
        stale = [name for number, name, _ in self._generations() if number <= generation - KEPT_GENERATIONS]
        for start in range(0, len(stale), 10):  # DeleteParameters takes at most 10 names
            self.aws.call("ssm", "delete_parameters", Names=stale[start : start + 10])


@dataclass
class Lock:
    """A held generation; its holder records progress through it."""

    ledger: Ledger
    name: str
    progress: Progress
    previous: Progress | None
    """The record this run followed: an interrupted or abandoned run it may resume."""

    def still_held(self) -> None:
        """Raise LostLock when a newer generation exists: someone took the endpoint over."""
        _generation, latest = self.ledger.latest()
        if latest is None or latest.run != self.progress.run:
            by = f" by `mlstack {latest.command}` ({latest.owner})" if latest else ""
            raise LostLock(
                f"{self.ledger.endpoint_name} was taken over{by}; this run stopped without changing the weights again"
            )

    def record(self, **changes: Any) -> None:
        self.progress = replace(self.progress, heartbeat=time.time(), **changes)
        self.ledger.aws.call(
            "ssm", "put_parameter", Name=self.name, Value=self.progress.to_json(), Type="String", Overwrite=True
        )

    def heartbeat(self) -> None:
        self.still_held()
        self.record()
