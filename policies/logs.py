"""Logs: how long the platform's CloudWatch log groups keep what they record.

(Not `logging.py`: with the pack's directory on sys.path, that name would shadow the standard
library's.)
"""

from __future__ import annotations

from collections.abc import Iterator

from mlstack.components.naming import PROD_LOG_DAYS
from mlstack.policies.framework import ResourceView, Rule, dig, environment_of, has_key, is_prod
from mlstack.policies.settings import PolicySettings

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _prod_log_retention(args: ResourceView, settings: PolicySettings) -> Iterator[str]:
    if not is_prod(environment_of(args.props, settings)) or not has_key(args.props, "retentionInDays"):
        return  # unset: CloudWatch never expires the logs
    days = dig(args.props, "retentionInDays")
    if isinstance(days, bool) or not isinstance(days, int | float) or days != int(days):
        yield f"log group {args.name} has retentionInDays {days!r}, which is not a number of days"
    elif days < PROD_LOG_DAYS:
        yield (
            f"prod log group {args.name} keeps logs {int(days)} days; incidents and audits in prod need "
            f"at least {PROD_LOG_DAYS}"
        )


PROD_LOG_RETENTION = Rule(
    name="cloudwatch-prod-log-retention",
    description=(
        "Checks whether prod CloudWatch log groups keep their logs for at least a year (or never expire them)."
    ),
    severity="medium",
    remediation=f"Set retention.log_days to {PROD_LOG_DAYS} or more in the prod environment (the default there).",
    check=_prod_log_retention,
    kind="resource",
    resource_types=(LOG_GROUP,),
    checkov=("CKV_AWS_338",),
    aws_config=("cw-loggroup-retention-period-check",),
)

RULES = (PROD_LOG_RETENTION,)
