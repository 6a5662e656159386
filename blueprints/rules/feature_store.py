"""The feature store: group names, record id and event time features, reserved names."""

from __future__ import annotations

from collections.abc import Iterator

from mlstack.blueprints.rules.common import Finding, Path, duplicates, suggest
from mlstack.blueprints.schema import Blueprint

# CreateFeatureGroup: "FeatureNames cannot be any of the following: is_deleted, write_time,
# api_invocation_time" (the offline store adds those columns itself).
RESERVED_FEATURE_NAMES = ("is_deleted", "write_time", "api_invocation_time")
# "An EventTime can be a String or Fractional" (CreateFeatureGroup EventTimeFeatureName).
EVENT_TIME_TYPES = ("string", "fractional")
# Identifiers are matched exactly on GetRecord; a fractional identifier would not round-trip.
RECORD_ID_TYPES = ("string", "integral")
# FeatureType is Integral | Fractional | String: there is no boolean type.
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_FeatureDefinition.html
_BOOLEAN_TYPES = ("bool", "boolean")


def feature_type_problem(given: object) -> str | None:
    """Why the feature type `given` is not one, when the schema's list of types would not say enough."""
    if not isinstance(given, str) or given.lower() not in _BOOLEAN_TYPES:
        return None
    return (
        f"feature type {given!r}: SageMaker Feature Store has no boolean type (FeatureType is Integral, "
        "Fractional or String: https://docs.aws.amazon.com/sagemaker/latest/APIReference/"
        "API_FeatureDefinition.html); use integral and store 0 or 1"
    )


def check(blueprint: Blueprint) -> Iterator[Finding]:
    if blueprint.feature_store is None:
        return
    groups = blueprint.feature_store.groups
    yield from duplicates([g.name for g in groups], ("feature_store", "groups"), "feature group")
    for index, group in enumerate(groups):
        path: Path = ("feature_store", "groups", index)
        if group.online is None and group.offline is None:
            yield (path, "a feature group needs an online store, an offline store, or both")
        for field, allowed in (("record_id", RECORD_ID_TYPES), ("event_time", EVENT_TIME_TYPES)):
            feature = getattr(group, field)
            if feature not in group.features:
                yield (
                    (*path, field),
                    f"{field} {feature!r} is not one of the group's features" + suggest(feature, list(group.features)),
                )
            elif group.features[feature] not in allowed:
                yield (
                    (*path, field),
                    f"{field} {feature!r} is {group.features[feature]}; it must be {' or '.join(allowed)}",
                )
        for feature in group.features:
            if feature.lower() in RESERVED_FEATURE_NAMES:
                yield (
                    (*path, "features", feature),
                    f"feature name {feature!r} is reserved by SageMaker Feature Store "
                    f"({', '.join(RESERVED_FEATURE_NAMES)})",
                )
