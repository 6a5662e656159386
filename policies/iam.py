"""IAM least privilege: no wildcard actions, no wildcard resources on write actions.

KMS key policies (`aws:kms/key:Key` `policy`) are out of scope: AWS's default key policy gives the
account root `kms:*` on `*`, which delegates to IAM and is not a grant by itself.
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from policies.framework import ResourceView, Rule, as_list, dig, has_key, items, policy_document
from policies.settings import PolicySettings

ROLE = "aws:iam/role:Role"
POLICY_TYPES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
    ROLE,
)

READ_PREFIXES = ("Get", "List", "Describe", "Head", "BatchGet", "Query", "Scan", "Search", "Select", "View", "Check")


@dataclass(frozen=True)
class Allowed:
    reason: str
    needs_condition: bool = False


# Actions AWS offers no resource-level permission for, so "*" is the only possible Resource.
# Kept short on purpose; every entry says why.
RESOURCE_WILDCARD_ALLOWED: dict[str, Allowed] = {
    "ecr:GetAuthorizationToken": Allowed("returns a registry-wide token; the action has no resource type"),
    "ec2:Describe*": Allowed("EC2 Describe actions support no resource-level permissions (VPC-attached SageMaker)"),
    "cloudwatch:PutMetricData": Allowed(
        "has no resource type; must be limited by a condition such as cloudwatch:namespace", needs_condition=True
    ),
}


def _documents(args: ResourceView) -> list[tuple[str, Any]]:
    if args.resource_type == ROLE:
        return [
            (f"inline policy {dig(p, 'name') or i}", dig(p, "policy"))
            for i, p in enumerate(items(dig(args.props, "inlinePolicies")))
            if has_key(p, "policy")
        ]
    return [("policy", dig(args.props, "policy"))] if has_key(args.props, "policy") else []


def _allow_statements(args: ResourceView) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, raw in _documents(args):
        if raw is None:
            continue
        for index, statement in enumerate(as_list(policy_document(raw).get("Statement"))):
            if isinstance(statement, dict) and statement.get("Effect") == "Allow":
                yield f"{where}, statement {statement.get('Sid') or index}", statement


def _is_wildcard_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def _wildcard_actions(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    for where, statement in _allow_statements(args):
        if "NotAction" in statement:
            yield f"{args.name} ({where}) allows NotAction, i.e. every other action"
        wild = [a for a in as_list(statement.get("Action")) if _is_wildcard_action(str(a))]
        if wild:
            yield f"{args.name} ({where}) allows wildcard actions {', '.join(map(str, wild))}"


IAM_NO_WILDCARD_ACTIONS = Rule(
    name="iam-no-wildcard-actions",
    description=(
        "Checks whether IAM policies (role, user, group, managed and role inline policies) allow '*' or "
        "'service:*' actions. KMS key policies are out of scope (the default key policy's root kms:* is AWS's)."
    ),
    severity="critical",
    remediation="List the actions the workload needs.",
    check=_wildcard_actions,
    kind="resource",
    resource_types=POLICY_TYPES,
    checkov=("CKV_AWS_62", "CKV_AWS_63"),
    cdk_nag=("IAMNoWildcardPermissions",),
    aws_config=("iam-policy-no-statements-with-admin-access", "iam-policy-no-statements-with-full-access"),
)


def _is_read(action: str) -> bool:
    verb = action.split(":", 1)[-1]
    return verb.startswith(READ_PREFIXES)


def _wildcard_resources(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    for where, statement in _allow_statements(args):
        if "*" not in [str(r) for r in as_list(statement.get("Resource"))]:
            continue
        offending = []
        for action in map(str, as_list(statement.get("Action"))):
            allowed = RESOURCE_WILDCARD_ALLOWED.get(action)
            if allowed is not None and (not allowed.needs_condition or statement.get("Condition")):
                continue
            if not _is_read(action):
                offending.append(action)
        if offending:
            yield f"{args.name} ({where}) allows write actions {', '.join(offending)} on Resource '*'"


IAM_NO_WILDCARD_RESOURCES = Rule(
    name="iam-no-wildcard-resources-on-write",
    description=(
        "Checks whether IAM policies allow write actions on Resource '*' (except a short, explicit list of "
        "actions AWS offers no resource-level permission for). KMS key policies are out of scope."
    ),
    severity="high",
    remediation="Scope Resource to the ARNs the workload writes to.",
    check=_wildcard_resources,
    kind="resource",
    resource_types=POLICY_TYPES,
    checkov=("CKV_AWS_290", "CKV_AWS_355"),
    cdk_nag=("IAMNoWildcardPermissions",),
)

RULES = (IAM_NO_WILDCARD_ACTIONS, IAM_NO_WILDCARD_RESOURCES)
