"""Image references: no credentials in them, no spaces, at most 255 characters.

`https://user:token@registry/repo:tag` and `user:token@registry/repo` carry a secret in the URI. A
blueprint's images go into the plan, the Pulumi state, the CloudWatch and Kubernetes event logs and
every reviewer's screen; pulls are authorised elsewhere. No message here repeats the secret, which
is why the schema leaves image URIs to this module: its own errors print the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlstack.blueprints.rules.common import Finding, Path
from mlstack.blueprints.schema import IMAGE_URI_MAX_LENGTH, Blueprint

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


def _shape_problem(image: str) -> str | None:
    """A space in `image` or too many characters; the URI is shown without any user-info."""
    shown = image if "@" not in image else "an image URI with an '@'"
    if not image or any(character.isspace() for character in image):
        return f"image {shown!r} must be one word: no spaces, tabs or line breaks" if image else "image is empty"
    if len(image) > IMAGE_URI_MAX_LENGTH:
        return f"image is {len(image)} characters; SageMaker and Kubernetes take at most {IMAGE_URI_MAX_LENGTH}"
    return None


def _problem(path: Path, image: str | None) -> Iterator[Finding]:
    if image is None:
        return
    message = image_problem(image) or _shape_problem(image)
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
