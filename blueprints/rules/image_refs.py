"""Image references: no credentials in them.

`https://user:token@registry/repo:tag` and `user:token@registry/repo` carry a secret in the URI. A
blueprint's images go into the plan, the Pulumi state, the CloudWatch and Kubernetes event logs and
every reviewer's screen; pulls are authorised elsewhere. The message never repeats the secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from blueprints.rules.common import Finding, Path
from blueprints.schema import Blueprint

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# A digest ends a reference: `repo@sha256:<hex>` (the distribution spec's `algorithm:encoded`).
_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")

_ADVICE = (
    "credentials in a blueprint end up in the plan, the Pulumi state and logs; let SageMaker pull with "
    "its execution role (ECR), or Kubernetes with the node role or an imagePullSecret, instead"
)


def image_problem(image: str) -> str | None:
    """Why `image` may not be used because of an `@` in it, or None; the message never repeats the secret.

    The only `@` an image reference may hold starts a trailing digest (`repo@sha256:<hex>`). Any other
    is taken for user-info (`user:token@host`): everything before the last such `@` is shown as `***`,
    since a token may hold `@` or `/` itself.
    """
    scheme = _SCHEME.match(image)
    prefix = scheme.group() if scheme else ""
    rest, digest = image[len(prefix) :], ""
    name, at, tail = rest.rpartition("@")
    if at and _DIGEST.match(tail):
        rest, digest = name, f"@{tail}"
    hidden, at, tail = rest.rpartition("@")
    if not at:
        return None
    shown = f"{prefix}***@{tail}{digest}"
    if ":" in hidden or "/" in tail or "/" not in hidden:
        return f"image {shown!r} has credentials in it (hidden here as ***): {_ADVICE}"
    # `registry/repo@latest`: a mistaken digest, most likely; still hidden, in case it is not.
    return (
        f"image {shown!r}: an '@' in an image reference starts a digest such as @sha256:<64 hex digits>; "
        "what precedes it is hidden here as *** in case it is a credential"
    )


def _problem(path: Path, image: str | None) -> Iterator[Finding]:
    message = image_problem(image) if image else None
    if message is not None:
        yield (path, message)


def check(blueprint: Blueprint) -> Iterator[Finding]:
    for index, endpoint in enumerate(blueprint.endpoints):
        for key, model in endpoint.models.items():
            yield from _problem(("endpoints", index, "models", key, "image"), model.image)
    if blueprint.experiment_tracking:
        yield from _problem(("experiment_tracking", "image"), blueprint.experiment_tracking.image)
    if blueprint.kubernetes:
        for index, service in enumerate(blueprint.kubernetes.services):
            yield from _problem(("kubernetes", "services", index, "image"), service.image)
        for index, job in enumerate(blueprint.kubernetes.drift):
            yield from _problem(("kubernetes", "drift", index, "image"), job.image)
