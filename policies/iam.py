"""IAM least privilege: no wildcard actions, no wildcard resources on write actions.

The rules read every permissions document pulumi-aws takes on the types checked: `policy` of
Policy, RolePolicy, UserPolicy and GroupPolicy, and each `inlinePolicies[].policy` of a Role. A
Role's `assumeRolePolicy` is a trust policy: it says who may assume the role and grants no
permissions, so these rules do not read it. A document IAM would refuse (no Statement, a JSON string
in place of the statement list, an Effect other than Allow or Deny) fails closed.

KMS key policies (`aws:kms/key:Key` `policy`) are out of scope: AWS's default key policy gives the
account root `kms:*` on `*`, which delegates to IAM and is not a grant by itself.
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mlstack.policies.framework import (
    MalformedInput,
    ResourceView,
    Rule,
    dig,
    has_key,
    list_input,
    policy_statements,
    string_input,
)
from mlstack.policies.settings import PolicySettings

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
        documents = []
        for position, inline in enumerate(list_input(args.props, "inlinePolicies")):
            if not isinstance(inline, Mapping):
                raise MalformedInput(f"inlinePolicies[{position}] is not an object")
            if has_key(inline, "policy"):
                name = string_input(inline, "name") or position
                documents.append((f"inline policy {name}", dig(inline, "policy")))
        return documents
    return [("policy", dig(args.props, "policy"))] if has_key(args.props, "policy") else []


def _allow_statements(args: ResourceView) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, raw in _documents(args):
        if raw is None:
            continue
        try:
            statements = policy_statements(raw)
        except MalformedInput as error:
            raise MalformedInput(f"{where}: {error}") from None
        for index, statement in enumerate(statements):
            if statement["Effect"] == "Allow":
                yield f"{where}, statement {statement.get('Sid') or index}", statement


def _is_wildcard_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def _wildcard_actions(args: ResourceView, _settings: PolicySettings) -> Iterator[str]:
    for where, statement in _allow_statements(args):
        if "NotAction" in statement:
            yield f"{args.name} ({where}) allows NotAction, i.e. every other action"
        wild = [a for a in statement.get("Action", []) if _is_wildcard_action(a)]
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
        # NotResource allows every resource but those listed: as wide as "*".
        if "*" not in statement.get("Resource", []) and "NotResource" not in statement:
            continue
        offending = []
        for action in statement.get("Action", []):
            allowed = RESOURCE_WILDCARD_ALLOWED.get(action)
            if allowed is not None and (not allowed.needs_condition or statement.get("Condition")):
                continue
            if not _is_read(action):
                offending.append(action)
        if offending:
            scope = "NotResource, i.e. every other resource" if "NotResource" in statement else "Resource '*'"
            yield f"{args.name} ({where}) allows write actions {', '.join(offending)} on {scope}"


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
