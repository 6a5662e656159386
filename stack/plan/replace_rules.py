"""Which input changes make a second `pulumi up` replace a resource instead of updating it in place.

The offline plan only ever creates. A real update diffs the program's new inputs against the inputs
recorded in state, and the *provider* decides, per property, whether the change can be applied in
place or needs a new physical resource. This table records those decisions for every resource type
the program emits, read from the providers' sources (each entry's `source` names the exact file),
so an update-aware plan can say "replace" where Pulumi would, without a cloud account.

How pulumi-aws (a Terraform bridge) decides
-------------------------------------------
`Diff` hands the old state and new config to the Terraform provider's own diff and turns every
attribute the TF schema marks `ForceNew` (plugin-framework resources: `RequiresReplace` plan
modifiers) into a replace key; Terraform's overall RequiresNew decision overrides the per-path
detail (`replaceOverride` in MakeDetailedDiffV2):
pulumi/pulumi-terraform-bridge@59de6c661df1e7561e6ece7ad7f1c835c63010c4 (v3.136.0):pkg/tfbridge/provider.go
(Provider.Diff) and pkg/tfbridge/detailed_diff.go.

ForceNew on a *block* (a nested list/object of resources) only covers the block's item count
(`.#`): adding or removing the block replaces, while a change to one of its attributes replaces only
if that attribute is ForceNew itself. Lists and sets of plain values pass ForceNew to every element.
hashicorp/terraform-plugin-sdk helper/schema/schema.go `schemaMap.diffList` (index file 57785011;
find_files lists hashicorp/terraform-plugin-sdk@6fd0e827f86db50f281bab0fb240ef489d46902c). A rule
path ending in `#` records that "count only" case.

Delete-before-replace: the same `Diff` asks for it when a replacement is needed and either the
resource's info sets `DeleteBeforeReplace` or `nameRequiresDeleteBeforeReplace` holds: some input
whose field is auto-named (`Default.AutoNamed`) has a value that the auto-namer did not produce (it
is not listed in `__defaults`), i.e. the program set the physical name itself and a create-first
replacement would collide with the old resource:
pulumi/pulumi-terraform-bridge@59de6c661df1e7561e6ece7ad7f1c835c63010c4:pkg/tfbridge/schema.go.
pulumi-aws auto-names every TF input literally called `name`
(pulumi/pulumi-aws@0c5f6583ebfb37cbe0febc2edb51b44cfeac2b15:provider/autonaming.go) plus a few
explicit fields such as the bucket's `bucket`
(pulumi/pulumi-aws@0c5f6583ebfb37cbe0febc2edb51b44cfeac2b15:provider/compatibility.go). Names that
are *not* auto-named (`featureGroupName`, `trackingServerName`, `dashboardName`,
`modelPackageGroupName`: required in the generated SDK) never trigger it, so replacing such a
resource under an unchanged name creates the new one first and collides. Plugin-framework resources
get no name-based delete-before-replace at all
(pulumi/pulumi-terraform-bridge@59de6c661df1e7561e6ece7ad7f1c835c63010c4:pkg/pf/tfbridge/provider_diff.go,
"TODO[pulumi/pulumi-terraform-bridge#823]").

Explicit providers: `DiffConfig` replaces a provider only for config keys marked
`ForcesProviderReplace`, and never asks for delete-before-replace
(pulumi/pulumi-terraform-bridge@59de6c661df1e7561e6ece7ad7f1c835c63010c4:pkg/tfbridge/provider.go,
configDiffer.DiffConfig). pulumi-aws dropped that mark from `region` for v7 (pulumi/pulumi-aws#5656).

How pulumi-aws-native (CloudFormation / Cloud Control) decides
--------------------------------------------------------------
Its `Diff` never names replace keys: it answers DIFF_UNKNOWN with `DeleteBeforeReplace: true` for
every change (pulumi/pulumi-aws-native@43eed3b017fff3b41e0ceeae37ee943afce53275:provider/pkg/provider/provider.go,
cfnProvider.Diff). The engine then diffs the inputs itself (pulumi/pulumi@1b5949891b3cefcb9974752b24a5ecef0acc86c8:
pkg/resource/deploy/step_generator.go, diffResource) and turns changes into replacements through the
`replaceOnChanges` resource option that the generated SDK sets from the CloudFormation schema's
`createOnlyProperties` (applyReplaceOnChanges, same file; e.g. `replace_on_changes=["endpointName"]`
in pulumi_aws_native/sagemaker/endpoint.py of the installed 1.84.0 SDK). So every aws-native
replacement deletes first, named or not. `DiffConfig` reports changes without replace keys, so an
aws-native provider is updated, never replaced (cfnProvider.DiffConfig, same file).

How pulumi-kubernetes decides
-----------------------------
Its `Diff` builds a JSON merge patch from the old live object (pruned to the shape of the old
inputs) to the new inputs and marks a changed path as a replacement when a force-new path is a
prefix of it (`openapi.PatchPropertiesChanged`, jsonpath match). The force-new paths are always
`.metadata.name` and `.metadata.namespace`, plus a per group/version/kind table: apps/v1 Deployment
`.spec.selector`, core/v1 Service `.spec.clusterIP`, core/v1 Secret `.type` (and `.data`,
`.stringData` unless the provider runs with `enableSecretMutable`, default false, and the Secret is
not `immutable`), batch/v1 *Job* (not CronJob) `.spec.template` and friends, policy/v1beta1 (not v1)
PodDisruptionBudget `.spec`; every kind or custom resource group not in the table gets only the
metadata pair. It asks for delete-before-replace only when the object is named by the program (not
`pulumi.com/autonamed`) and the new name and namespace equal the old ones, so a rename creates the
new object first:
pulumi/pulumi-kubernetes@94977969d64112b04e19945818a7d5d5f38f631d:provider/pkg/provider/diff.go
(forceNewProperties), provider/pkg/provider/provider.go (kubeProvider.Diff, convertPatchToDiff,
DiffConfig), provider/pkg/metadata/naming.go (IsNamed, IsAutonamed). That snapshot is 4.32.0 plus 27
commits, older than the installed 4.34.2 SDK; diff.go last changed in February 2026.
`provider_delete_before_replace` needs the old inputs for that rule; without them it assumes the
name and namespace are kept.

How pulumi-random decides
-------------------------
A plugin-framework bridge of hashicorp/terraform-provider-random v3.9.0 (pulumi/pulumi-random
provider/go.mod pins f8d869dc98d9); every password argument carries a RequiresReplace plan modifier.

The program has the last word
-----------------------------
`deleteBeforeReplace := diff.DeleteBeforeReplace; if goal.DeleteBeforeReplace != nil {
deleteBeforeReplace = *goal.DeleteBeforeReplace }` - a resource option set to either `True` or
`False` overrides whatever the provider asked for
(pulumi/pulumi@1b5949891b3cefcb9974752b24a5ecef0acc86c8:pkg/resource/deploy/step_generator.go). The
Python SDK sends `deleteBeforeReplaceDefined=opts.delete_before_replace is not None`, so an explicit
`delete_before_replace=False` counts (pulumi/pulumi@1b5949891b3cefcb9974752b24a5ecef0acc86c8:
pkg/resource/deploy/source_eval.go reads it). `provider_delete_before_replace` below is only the
provider's request.

Paths
-----
Inputs are the Pulumi wire names (camelCase) as the plan shows them; paths are dot-separated. When a
walk meets a list, the rest of the path applies to every item, and the projections are compared (so
a longer or shorter list counts). Keys starting with `__` (`__defaults`, ...) are state bookkeeping
and ignored everywhere; a null value is the same as an absent key, as it is to Pulumi. A new value
of `UNKNOWN` differs from any recorded value: the preview cannot know it stays the same, and the
bridge also replaces on an unknown ForceNew attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

# The same literal as stack.plan.engine.UNKNOWN_TEXT; that module imports Pulumi, this one must not.
UNKNOWN: Final = "(known after apply)"

# Marks a force_new path whose block only replaces when it appears, disappears or changes length.
COUNT_ONLY: Final = "#"

_TF = "hashicorp/terraform-provider-aws"
_NATIVE = "pulumi/pulumi-aws-native@43eed3b017fff3b41e0ceeae37ee943afce53275"
_BRIDGE = "pulumi/pulumi-terraform-bridge@59de6c661df1e7561e6ece7ad7f1c835c63010c4"
# The inference-component schema is not stored at _NATIVE's commit; these two stored copies are. The
# newer one has the installed 1.84.0 SDK's inputs (deploymentConfig, specifications), the older has
# neither; both lack createOnlyProperties.
_NATIVE_IC = "pulumi/pulumi-aws-native"
_IC_SCHEMA = "aws-cloudformation-schema/aws-sagemaker-inferencecomponent.json"
_IC_SCHEMA_NEW = "5a0ef7e18bf9c10cffe838e330b6b2b25d74b20a"
_IC_SCHEMA_OLD = "d0352f596806db4e2f537e946372c391b41967e7"

# Files read at a stored commit older than the bridged terraform-provider-aws (pulumi-aws 7.51.1 is
# later than 7.41.0, which pulumi-aws-native pinned on 2026-08-07, so it bridges a v6.5x release).
_OLDER = "the stored version read is older than the bridged one"


@dataclass(frozen=True)
class ReplaceRule:
    """How one resource type's provider treats a change to its inputs."""

    type: str
    # Input paths; a change at or below one forces replacement. ("*",): every input except `updatable`.
    force_new: tuple[str, ...]
    updatable: tuple[str, ...] = ()
    # Dot-separated like the force_new paths ("metadata.name" for Kubernetes objects).
    name_input: str | None = None
    delete_before_replace_when_named: bool = False
    source: str = ""
    note: str = ""
    # aws-native asks for delete-before-replace on every replacement, named or not.
    delete_before_replace_always: bool = False
    # pulumi-kubernetes: delete first only when the program names the object and these inputs keep
    # their old values (a rename or a move to another namespace creates first).
    delete_before_replace_when_kept: tuple[str, ...] = ()


class UnknownResourceType(KeyError):
    """No rule has been recorded for this Pulumi type token."""


def _tf(path: str, commit: str | None = None, index: str | None = None) -> str:
    where = f"{_TF}@{commit}:{path}" if commit else f"{_TF}:{path}"
    return f"{where} (index file {index}; the index reports no commit)" if index else where


def _named(
    type_: str,
    force_new: tuple[str, ...],
    source: str,
    *,
    name: str = "name",
    updatable: tuple[str, ...] = (),
    note: str = "",
) -> ReplaceRule:
    """A pulumi-aws resource whose name input is auto-named, so a program-set name means delete first."""
    return ReplaceRule(
        type=type_,
        force_new=force_new,
        updatable=updatable,
        name_input=name,
        delete_before_replace_when_named=True,
        source=source,
        note=note,
    )


def _native(type_: str, force_new: tuple[str, ...], name: str, source: str, note: str = "") -> ReplaceRule:
    return ReplaceRule(
        type=type_,
        force_new=force_new,
        name_input=name,
        delete_before_replace_always=True,
        source=source,
        note=note,
    )


_NAME_COLLIDES = (
    "the name is not auto-named in pulumi-aws (required in the SDK), so the bridge does not ask for "
    "delete-before-replace: replacing it under an unchanged name creates first and collides unless the "
    "program sets delete_before_replace=True"
)

_K8S = "pulumi/pulumi-kubernetes@94977969d64112b04e19945818a7d5d5f38f631d"
_K8S_SOURCE = f"{_K8S}:provider/pkg/provider/diff.go; {_K8S}:provider/pkg/provider/provider.go"
_K8S_IDENTITY: Final = ("metadata.name", "metadata.namespace")
# Set by pulumi-kubernetes' Check on an object it named itself (metadata.AnnotationAutonamed).
K8S_AUTONAMED_ANNOTATION: Final = "pulumi.com/autonamed"

_K8S_METADATA_ONLY = (
    "not in the provider's force-new table, so only metadata.name and metadata.namespace replace; "
    "everything else is patched in place"
)
_CUSTOM_RESOURCE = (
    "a custom resource (apiextensions CustomResource with a per-kind token): its group is not in the "
    "force-new table, so only metadata.name and metadata.namespace replace and spec changes are "
    "patched in place"
)


def _k8s(type_: str, force_new: tuple[str, ...] = (), note: str = _K8S_METADATA_ONLY) -> ReplaceRule:
    """A pulumi-kubernetes object: identity plus the kind's force-new paths; delete first if kept named."""
    return ReplaceRule(
        type=type_,
        force_new=(*_K8S_IDENTITY, *force_new),
        name_input="metadata.name",
        delete_before_replace_when_kept=_K8S_IDENTITY,
        source=_K8S_SOURCE,
        note=note,
    )


# terraform-provider-aws upstream commit under Pulumi's patched-v5.14.0 branch
# (pulumi/terraform-provider-aws@122a58103640826a4793ef37353289632b78452b); the patches on top only
# change the "Managed by Terraform" description defaults of the subnet and security groups.
_TF_5_14 = "8aebcb61aa37f33f47606097cce23e5aa1783121"
_OLDER_5_14 = (
    "read at v5.14.0 (August 2023), much older than the bridged v6 release; arguments added since were not checked"
)

_RULES: tuple[ReplaceRule, ...] = (
    # --- aws-native --------------------------------------------------------------------------------
    _native(
        "aws-native:sagemaker:ModelQualityJobDefinition",
        (
            "endpointName",
            "jobDefinitionName",
            "jobResources",
            "modelQualityAppSpecification",
            "modelQualityBaselineConfig",
            "modelQualityJobInput",
            "modelQualityJobOutputConfig",
            "networkConfig",
            "roleArn",
            "stoppingCondition",
            "tags",
        ),
        "jobDefinitionName",
        f"{_NATIVE}:aws-cloudformation-schema/aws-sagemaker-modelqualityjobdefinition.json",
        "every property is createOnly (tags too: tagUpdatable false) and the schema has no update handler",
    ),
    _native(
        "aws-native:sagemaker:Endpoint",
        ("endpointName",),
        "endpointName",
        f"{_NATIVE}:aws-cloudformation-schema/aws-sagemaker-endpoint.json",
        "only EndpointName is createOnly: endpointConfigName, deploymentConfig and tags update in place; "
        "Retain*/ExcludeRetainedVariantProperties are writeOnly; a rename deletes the live endpoint first",
    ),
    _native(
        "aws-native:sagemaker:InferenceComponent",
        (),
        "inferenceComponentName",
        f"{_NATIVE_IC}@{_IC_SCHEMA_NEW}:{_IC_SCHEMA}; {_NATIVE_IC}@{_IC_SCHEMA_OLD}:{_IC_SCHEMA}",
        "the schema has no createOnlyProperties at all (primaryIdentifier is the ARN; neither stored copy "
        "has any, and the file is not stored at the pinned commit): the installed 1.84.0 SDK's "
        "InferenceComponent sets no replace_on_changes, so the engine updates every change in place, through "
        "UpdateInferenceComponent (specification, runtimeConfig, deploymentConfig) and "
        "UpdateInferenceComponentRuntimeConfig, the update handler's permissions. A new model version "
        "(specification.modelName) rolls the copies under deploymentConfig. Those calls take the component "
        "by InferenceComponentName and accept no new name, EndpointName or VariantName (botocore's "
        "SageMaker model), so a rename or a move to another endpoint plans as an update the API has no way "
        "to make; how the handler then fails was not read. runtimeConfig.copyCount and deploymentConfig "
        "are writeOnly: a changed copyCount input asks for that many copies, whatever Application Auto "
        "Scaling has scaled to",
    ),
    # --- SageMaker ---------------------------------------------------------------------------------
    _named(
        "aws:sagemaker/endpoint:Endpoint",
        ("deploymentConfig.autoRollbackConfiguration#", "name"),
        _tf("internal/service/sagemaker/endpoint.go", "033616433b62eecd21bf862855f43202b7500c2f")
        + "; "
        + _tf("internal/service/sagemaker/endpoint.go", index="5035982115"),
        note="auto_rollback_configuration is a ForceNew block whose alarms are not ForceNew: adding or "
        "removing it replaces the endpoint, editing its alarms updates; endpointConfigName and the rest of "
        "deploymentConfig go through UpdateEndpoint. " + _OLDER + " (the newer index copy agrees)",
    ),
    _named(
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        ("*",),
        _tf("internal/service/sagemaker/endpoint_configuration.go", "050ac11163cab8cdae5936a7f40b0e528ff780df")
        + "; "
        + _tf("internal/service/sagemaker/endpoint_configuration.go", index="54498005920"),
        updatable=("tags",),
        note="every argument and every production/shadow variant attribute is ForceNew (weights and instance "
        "counts too); only tags update. The commit read is from 2023; the 2026 index copy "
        "(preIdentityVersion v6.53.0) agrees and adds execution_role_arn, also ForceNew",
    ),
    _named(
        "aws:sagemaker/model:Model",
        ("*",),
        _tf("internal/service/sagemaker/model.go", "0cafd6b50f8e41065a3537744e2985d5bdce7d59"),
        updatable=("tags",),
        note="all arguments ForceNew (primaryContainer's attributes, containers, vpcConfig, executionRoleArn, "
        "enableNetworkIsolation); resourceModelUpdate is 'Tags only'",
    ),
    _named(
        "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition",
        (
            "dataQualityAppSpecification",
            "dataQualityBaselineConfig",
            "dataQualityJobInput",
            "dataQualityJobOutputConfig",
            "jobResources",
            "name",
            "networkConfig",
            "stoppingCondition",
        ),
        _tf("internal/service/sagemaker/data_quality_job_definition.go", "0105d2191ae7e43ba37ba011b916843eddf361ed")
        + "; "
        + _tf("internal/service/sagemaker/data_quality_job_definition.go", index="5320064245"),
        note="tags update in place (not ForceNew). role_arn is not ForceNew either, yet Update is 'Tags only': "
        "a roleArn change plans as an update that never reaches the API and shows again on the next run. "
        + _OLDER
        + " (the newer index copy agrees)",
    ),
    ReplaceRule(
        type="aws:sagemaker/featureGroup:FeatureGroup",
        force_new=(
            "description",
            "eventTimeFeatureName",
            "featureDefinitions",
            "featureGroupName",
            "offlineStoreConfig",
            "onlineStoreConfig#",
            "onlineStoreConfig.enableOnlineStore",
            "onlineStoreConfig.securityConfig",
            "onlineStoreConfig.storageType",
            "recordIdentifierFeatureName",
            "roleArn",
        ),
        name_input="featureGroupName",
        source=_tf("internal/service/sagemaker/feature_group.go", "00a35305dc1b297a6fcdecdfbba33f1e63c3da39"),
        note="adding, removing or editing a feature definition replaces the group (and its stored data); only "
        "onlineStoreConfig.ttlDuration, throughputConfig and tags update. " + _NAME_COLLIDES,
    ),
    ReplaceRule(
        type="aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
        force_new=("mlflowVersion", "roleArn", "trackingServerName"),
        name_input="trackingServerName",
        source=_tf("internal/service/sagemaker/mlflow_tracking_server.go", "07eed3b0ddd7e6809a9599d7ab9f08848a8e51cf"),
        note="roleArn is ForceNew; artifactStoreUri, automaticModelRegistration, trackingServerSize and the "
        "maintenance window update. " + _NAME_COLLIDES,
    ),
    ReplaceRule(
        type="aws:sagemaker/modelPackageGroup:ModelPackageGroup",
        force_new=("*",),
        updatable=("tags",),
        name_input="modelPackageGroupName",
        source=_tf("internal/service/sagemaker/model_package_group.go", "050ac11163cab8cdae5936a7f40b0e528ff780df"),
        note="the description is ForceNew: editing it replaces the group that holds the model versions. "
        + _NAME_COLLIDES
        + ". "
        + _OLDER,
    ),
    ReplaceRule(
        type="aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy",
        force_new=("modelPackageGroupName",),
        source=_tf(
            "internal/service/sagemaker/model_package_group_policy.go", "01606926a0c0ab9174aec440f976a48b0baee722"
        ),
        note="resourcePolicy is put in place",
    ),
    _named(
        "aws:sagemaker/monitoringSchedule:MonitoringSchedule",
        ("name",),
        _tf("internal/service/sagemaker/monitoring_schedule.go", "04a2e6e5bc625ec85ea8c678219b483fc674877e"),
        note="monitoringScheduleConfig goes through UpdateMonitoringSchedule. " + _OLDER,
    ),
    # --- API Gateway v2 ----------------------------------------------------------------------------
    _named(
        "aws:apigatewayv2/api:Api",
        ("credentialsArn", "protocolType", "routeKey", "target"),
        _tf("internal/service/apigatewayv2/api.go", "00a35305dc1b297a6fcdecdfbba33f1e63c3da39"),
        note="name and description update in place",
    ),
    ReplaceRule(
        type="aws:apigatewayv2/integration:Integration",
        force_new=("apiId", "integrationSubtype", "integrationType"),
        source=_tf("internal/service/apigatewayv2/integration.go", "03412d530417901a6e5360333350b8d3c802cece")
        + "; "
        + _tf("internal/service/apigatewayv2/integration.go", index="2174133893"),
        note="integrationUri, integrationMethod, payloadFormatVersion and timeoutMilliseconds update. " + _OLDER,
    ),
    ReplaceRule(
        type="aws:apigatewayv2/route:Route",
        force_new=("apiId",),
        source=_tf("internal/service/apigatewayv2/route.go", "00a35305dc1b297a6fcdecdfbba33f1e63c3da39"),
        note="routeKey, target and authorizationType update in place",
    ),
    _named(
        "aws:apigatewayv2/stage:Stage",
        ("apiId", "name"),
        _tf("internal/service/apigatewayv2/stage.go", "02f6d2d9fb6028a483e4c2b92d7e2432ff0b9127"),
    ),
    # --- Application Auto Scaling ------------------------------------------------------------------
    _named(
        "aws:appautoscaling/policy:Policy",
        ("name", "resourceId", "scalableDimension", "serviceNamespace"),
        _tf("internal/service/appautoscaling/policy.go", "048320e88399c508ae6481be5d8ef6fd6f71a9f6")
        + "; "
        + _tf("internal/service/appautoscaling/policy.go", index="11158598336"),
        note="resourceId embeds the endpoint and variant names (an inference component's: its name), so "
        "renaming either replaces the policy; policyType and the scaling configurations are put in place "
        "(PutScalingPolicy again), the scale-from-zero policies' stepScalingPolicyConfiguration and its "
        "stepAdjustments included: nothing under it is ForceNew. " + _OLDER + " (the newest index copy agrees)",
    ),
    ReplaceRule(
        type="aws:appautoscaling/target:Target",
        force_new=("resourceId", "scalableDimension", "serviceNamespace"),
        source=_tf("internal/service/appautoscaling/target.go", "0105d2191ae7e43ba37ba011b916843eddf361ed"),
        note="min/maxCapacity, roleArn and tags update (RegisterScalableTarget again); resourceId embeds the "
        "endpoint and variant names",
    ),
    # --- CloudWatch, EventBridge, Logs -------------------------------------------------------------
    ReplaceRule(
        type="aws:cloudwatch/dashboard:Dashboard",
        force_new=("dashboardName",),
        name_input="dashboardName",
        source=_tf("internal/service/cloudwatch/dashboard.go", "0620f2a6a126dfcbc4aecbc9a117b0fbea1656ff"),
        note="dashboardBody is put in place; a replacement only happens on a rename, so no collision",
    ),
    _named(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        ("name",),
        _tf("internal/service/cloudwatch/metric_alarm.go", "055611a654738da73e7b1e2b5d2b7672c6d4d531"),
        note="only alarm_name (Pulumi `name`) is ForceNew; threshold, periods, metric queries and actions are "
        "put in place. Create now refuses an alarm name that already exists",
    ),
    _named(
        "aws:cloudwatch/eventRule:EventRule",
        ("eventBusName", "name", "namePrefix"),
        _tf("internal/service/events/rule.go", "0cdab4ae09a963535e03dde0bff4784afe8e3517"),
        note="eventPattern, description and schedule are put in place",
    ),
    ReplaceRule(
        type="aws:cloudwatch/eventTarget:EventTarget",
        force_new=("eventBusName", "rule", "targetId"),
        source=_tf("internal/service/events/target.go", "0762c41e2027fcd3cb8340d3e6886c6975fc0a59"),
        note="not emitted by the program today; arn, input and the target blocks update",
    ),
    _named(
        "aws:cloudwatch/logGroup:LogGroup",
        ("logGroupClass", "name", "namePrefix"),
        _tf("internal/service/logs/group.go", "0073593e7d6993ba482409f4dc35438daaa79bb3"),
        note="kmsKeyId and retentionInDays update in place",
    ),
    _named(
        "aws:cloudwatch/logStream:LogStream",
        ("*",),
        _tf("internal/service/logs/stream.go", "1468653aa61d1cfef737d390082fa99b8ddfc24b"),
        note="no update call: every argument is ForceNew. " + _OLDER,
    ),
    # --- IAM, KMS ----------------------------------------------------------------------------------
    _named(
        "aws:iam/role:Role",
        ("name", "namePrefix", "path"),
        _tf("internal/service/iam/role.go", "0040ea6911af00bea2cca6dbb14e86829826ad8e"),
        note="assumeRolePolicy, description, maxSessionDuration, permissionsBoundary and tags update. "
        + _OLDER
        + " (v6.48.0 moved the schema into SchemaFunc, per pulumi/pulumi-aws#6417)",
    ),
    _named(
        "aws:iam/rolePolicy:RolePolicy",
        ("name", "namePrefix", "role"),
        _tf("internal/service/iam/role_policy.go", "02f97af85f89a04e8ed89f5e8b64a9a67f3cfe07"),
        note="policy is put in place; the program leaves name to the auto-namer",
    ),
    _named(
        "aws:kms/alias:Alias",
        ("name", "namePrefix"),
        _tf("internal/service/kms/alias.go", index="1796884670"),
        note="targetKeyId updates in place",
    ),
    ReplaceRule(
        type="aws:kms/key:Key",
        force_new=("customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"),
        source=_tf("internal/service/kms/key.go", "00a35305dc1b297a6fcdecdfbba33f1e63c3da39"),
        note="deletionWindowInDays, description, policy, enableKeyRotation and tags update in place",
    ),
    # --- Firehose, Lambda, SNS ---------------------------------------------------------------------
    _named(
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        (
            "destination",
            "elasticsearchConfiguration.s3BackupMode",
            "elasticsearchConfiguration.vpcConfig",
            "kinesisSourceConfiguration",
            "name",
            "opensearchConfiguration.s3BackupMode",
            "opensearchConfiguration.vpcConfig",
            "opensearchserverlessConfiguration.s3BackupMode",
            "opensearchserverlessConfiguration.vpcConfig",
        ),
        _tf("internal/service/firehose/delivery_stream.go", index="54667159225"),
        note="extendedS3Configuration (as far as read) and serverSideEncryption update in place; name's "
        "ForceNew was read in an older copy (index file 140757); mskSourceConfiguration was not read",
    ),
    _named(
        "aws:lambda/function:Function",
        ("name", "packageType"),
        _tf("internal/service/lambda/function.go", index="2143746772"),
        note="code, runtime, handler, memory, timeout, environment, role and logging update in place",
    ),
    ReplaceRule(
        type="aws:lambda/permission:Permission",
        force_new=("*",),
        source=_tf("internal/service/lambda/permission.go", index="4743292560"),
        note="no update call: every argument is ForceNew; statementId's auto-naming was not checked",
    ),
    _named(
        "aws:sns/topic:Topic",
        ("fifoTopic", "name", "namePrefix"),
        _tf("internal/service/sns/topic.go", index="1224120052"),
        note="kmsMasterKeyId, policy and the other attributes are set in place",
    ),
    ReplaceRule(
        type="aws:sns/topicSubscription:TopicSubscription",
        force_new=("endpoint", "protocol", "topic"),
        source=_tf("internal/service/sns/topic_subscription.go", index="1990456613"),
        note="filter and delivery policies update in place",
    ),
    # --- S3 ----------------------------------------------------------------------------------------
    _named(
        "aws:s3/bucket:Bucket",
        ("bucket", "bucketPrefix", "objectLockConfiguration.objectLockEnabled", "objectLockEnabled"),
        _tf("internal/service/s3/bucket.go", index="4217687162")
        + "; "
        + _tf("internal/service/s3/bucket.go", index="446709073"),
        name="bucket",
        note="bucket is auto-named through AutoNameTransform; forceDestroy and tags update in place",
    ),
    ReplaceRule(
        type="aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        force_new=("bucket", "expectedBucketOwner"),
        source=_tf("internal/service/s3/bucket_lifecycle_configuration.go", index="3708929483"),
        note="a plugin-framework resource (RequiresReplace plan modifiers); rules update in place",
    ),
    ReplaceRule(
        type="aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        force_new=("bucket",),
        source=_tf("internal/service/s3/bucket_ownership_controls.go", "01c08000ddb14181b5bd19201d8fca311dc570e4"),
        note="rule is put in place. " + _OLDER,
    ),
    ReplaceRule(
        type="aws:s3/bucketPolicy:BucketPolicy",
        force_new=("bucket",),
        source=_tf("internal/service/s3/bucket_policy.go", "0073593e7d6993ba482409f4dc35438daaa79bb3"),
        note="policy is put in place",
    ),
    ReplaceRule(
        type="aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        force_new=("bucket",),
        source=_tf("internal/service/s3/bucket_public_access_block.go", "01606926a0c0ab9174aec440f976a48b0baee722"),
        note="the four flags update in place",
    ),
    ReplaceRule(
        type="aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        force_new=("bucket", "expectedBucketOwner"),
        source=_tf(
            "internal/service/s3/bucket_server_side_encryption_configuration.go",
            "01606926a0c0ab9174aec440f976a48b0baee722",
        ),
        note="rules are put in place",
    ),
    ReplaceRule(
        type="aws:s3/bucketVersioning:BucketVersioning",
        force_new=("bucket", "expectedBucketOwner"),
        source=_tf("internal/service/s3/bucket_versioning.go", index="2047336413"),
        note="versioningConfiguration and mfa update in place",
    ),
    # --- EKS, RDS, EC2, S3 metrics (the MLflow-on-Kubernetes database and the drift jobs) ----------
    ReplaceRule(
        type="aws:eks/podIdentityAssociation:PodIdentityAssociation",
        force_new=("clusterName", "namespace", "serviceAccount"),
        source=_tf("internal/service/eks/pod_identity_association.go", "00a35305dc1b297a6fcdecdfbba33f1e63c3da39"),
        note="a plugin-framework resource: roleArn, targetRoleArn, disableSessionTags and tags go through "
        "UpdatePodIdentityAssociation; a replacement always has a new (cluster, namespace, service account) "
        "key, so creating first cannot collide. The installed SDK also has a `policy` input that the copy "
        "read lacks; whether it replaces was not checked",
    ),
    _named(
        "aws:rds/instance:Instance",
        (
            "availabilityZone",
            "backupTarget",
            "characterSetName",
            "customIamInstanceProfile",
            "dbName",
            "engine",
            "kmsKeyId",
            "ncharCharacterSetName",
            "restoreToPointInTime#",
            "s3Import.bucketName",
            "s3Import.bucketPrefix",
            "s3Import.ingestionRole",
            "s3Import.sourceEngine",
            "s3Import.sourceEngineVersion",
            "snapshotIdentifier",
            "storageEncrypted",
            "timezone",
            "username",
        ),
        _tf("internal/service/rds/instance.go", _TF_5_14),
        name="identifier",
        note="identifier is NOT ForceNew: a rename is an in-place ModifyDBInstance(NewDBInstanceIdentifier), "
        "which changes the endpoint hostname. engineVersion, instanceClass, allocatedStorage, storageType, "
        "password, multiAz, vpcSecurityGroupIds, dbSubnetGroupName and the backup/monitoring settings update "
        "in place (an engineVersion bump is an in-place upgrade; a major one also needs "
        "allowMajorVersionUpgrade). dbName, username, engine, kmsKeyId and storageEncrypted replace the "
        "database: kmsKeyId is unknown whenever its key is new, so a replaced KMS key replaces the "
        "instance. pulumi-aws v7 marks identifier AutoNamed (provider/resource_overrides.go, "
        "pulumi/pulumi-aws@015d343812852f40a045a28e7f6e04bca69548f3), so with the program's identifier "
        "any replacement deletes the live database first (deletionProtection makes that delete fail; "
        "without it the final snapshot is taken and the new database starts empty). " + _OLDER_5_14,
    ),
    _named(
        "aws:rds/subnetGroup:SubnetGroup",
        ("name", "namePrefix"),
        _tf("internal/service/rds/subnet_group.go", _TF_5_14)
        + "; "
        + _tf("internal/service/rds/subnet_group.go", "01c08000ddb14181b5bd19201d8fca311dc570e4"),
        note="description and subnetIds go through ModifyDBSubnetGroup. Only a rename replaces, and the bridge "
        "then deletes first: RDS refuses to delete a subnet group an instance still uses. " + _OLDER_5_14,
    ),
    _named(
        "aws:ec2/securityGroup:SecurityGroup",
        ("description", "name", "namePrefix", "vpcId"),
        _tf("internal/service/ec2/vpc_security_group.go", _TF_5_14),
        note="the description is ForceNew: editing it (or the name) replaces the group, and with the "
        "program's name the bridge deletes first, which EC2 refuses while the database's network interface "
        "still uses the group (DependencyViolation until the delete timeout). ingress, egress, "
        "revokeRulesOnDelete and tags update in place. " + _OLDER_5_14,
    ),
    _named(
        "aws:s3/bucketMetric:BucketMetric",
        ("bucket", "name"),
        _tf("internal/service/s3/bucket_metric.go", "033c721bf1eda7db79395cd73acb54c7efa57ffc"),
        note="name is the metrics configuration ID and is auto-named (no override in pulumi-aws), so a "
        "program-set name deletes first; filter is put in place (PutBucketMetricsConfiguration)",
    ),
    # --- random ------------------------------------------------------------------------------------
    ReplaceRule(
        type="random:index/randomPassword:RandomPassword",
        force_new=("*",),
        source="hashicorp/terraform-provider-random@f8d869dc98d90785f6c8f7131081fa5ef88f9d95:"
        "internal/provider/resource_password.go; pulumi/pulumi-random@f64d8726a4f5edf2c675e03a53cdf740fb542f47:"
        "provider/go.mod",
        note="every argument (length, special, upper, lower, numeric, number, the min_* counts, "
        "overrideSpecial, keepers) RequiresReplace and Update only copies the plan: ANY change regenerates "
        "the password, which rotates the MLflow database password (an in-place RDS update) and rewrites the "
        "backend-store Secret's stringData (which replaces that Secret). Two exceptions: overrideSpecial "
        'going from "" to unset, and keepers whose new values are all null, do not replace',
    ),
    # --- Kubernetes --------------------------------------------------------------------------------
    _k8s("kubernetes:core/v1:Namespace", note="cluster-scoped; " + _K8S_METADATA_ONLY),
    _k8s("kubernetes:core/v1:ServiceAccount"),
    _k8s(
        "kubernetes:core/v1:Service",
        ("spec.clusterIP",),
        note="only spec.clusterIP (and identity) replaces: spec.type, ports, selector and sessionAffinity are "
        "patched in place",
    ),
    _k8s(
        "kubernetes:core/v1:Secret",
        ("data", "stringData", "type"),
        note="with the provider's default enableSecretMutable=false (or an immutable Secret) a change to data "
        "or stringData replaces the Secret; with enableSecretMutable=true only type does. The program does "
        "not set enableSecretMutable",
    ),
    _k8s(
        "kubernetes:apps/v1:Deployment",
        ("spec.selector",),
        note="only spec.selector (matchLabels, matchExpressions) and identity replace; the pod template "
        "(image, env, resources, probes), replicas and strategy are patched in place and roll out",
    ),
    _k8s("kubernetes:autoscaling/v2:HorizontalPodAutoscaler"),
    _k8s(
        "kubernetes:policy/v1:PodDisruptionBudget",
        note="the table replaces on .spec only for policy/v1beta1; a policy/v1 budget is patched in place",
    ),
    _k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy"),
    _k8s(
        "kubernetes:batch/v1:CronJob",
        note="the table lists batch/v1 Job (spec.template, selector, completions, parallelism) but not CronJob: "
        "schedule and jobTemplate are patched in place and apply to the next Job",
    ),
    _k8s("kubernetes:gateway.networking.k8s.io/v1:Gateway", note=_CUSTOM_RESOURCE),
    _k8s("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", note=_CUSTOM_RESOURCE),
    _k8s("kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy", note=_CUSTOM_RESOURCE),
    # --- Explicit providers ------------------------------------------------------------------------
    ReplaceRule(
        type="pulumi:providers:aws",
        force_new=(),
        source=f"{_BRIDGE}:pkg/tfbridge/provider.go",
        note="DiffConfig replaces only for ForcesProviderReplace keys and pulumi-aws v7 marks none (region "
        "dropped it, pulumi/pulumi-aws#5656; its v7 config table was not read here)",
    ),
    ReplaceRule(
        type="pulumi:providers:kubernetes",
        force_new=("cluster", "clusterIdentifier", "context", "kubeconfig", "renderYamlToDirectory"),
        source=f"{_K8S}:provider/pkg/provider/provider.go",
        note="DiffConfig replaces the provider (and so every object it manages) when renderYamlToDirectory "
        "changes, when clusterIdentifier changes from one value to another, when kubeconfig, context or "
        "cluster is unknown, or when they select a different active cluster; a set and unchanged "
        "clusterIdentifier suppresses all of that. This rule over-approximates the kubeconfig case (a "
        "credential-only change keeps the cluster) and counts adding or removing clusterIdentifier, which "
        "does not replace. namespace (the program's only provider input) updates",
    ),
    ReplaceRule(
        type="pulumi:providers:aws-native",
        force_new=(),
        source=f"{_NATIVE}:provider/pkg/provider/provider.go",
        note="DiffConfig reports changed keys without replace keys",
    ),
)

RULES: Final[Mapping[str, ReplaceRule]] = {rule.type: rule for rule in _RULES}


def rule_for(resource_type: str) -> ReplaceRule:
    try:
        return RULES[resource_type]
    except KeyError:
        raise UnknownResourceType(resource_type) from None


class _Missing:
    """Stands for an absent key (or a path that runs into a scalar); equal only to itself."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Final = _Missing()


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            key: _clean(item)
            for key, item in value.items()
            if not (isinstance(key, str) and key.startswith("__")) and item is not None
        }
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def _count(value: Any) -> int:
    if value is _MISSING or value is None:
        return 0
    return len(value) if isinstance(value, list) else 1


def _project(value: Any, segments: tuple[str, ...], count_only: bool) -> Any:
    if not segments:
        return _count(value) if count_only else value
    if isinstance(value, list):
        return [_project(item, segments, count_only) for item in value]
    if isinstance(value, Mapping):
        return _project(value.get(segments[0], _MISSING), segments[1:], count_only)
    return _count(_MISSING) if count_only else _MISSING


def _differs(path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    count_only = path.endswith(COUNT_ONLY)
    segments = tuple(path.removesuffix(COUNT_ONLY).split("."))
    return bool(_project(old, segments, count_only) != _project(new, segments, count_only))


def _walk(old: Any, new: Any, path: str, out: list[str]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in set(old) | set(new):
            child = f"{path}.{key}" if path else str(key)
            if key in old and key in new:
                _walk(old[key], new[key], child, out)
            else:
                out.append(child)
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            child = f"{path}[{index}]"
            if index < len(old) and index < len(new):
                _walk(old[index], new[index], child, out)
            else:
                out.append(child)
    elif old != new:
        out.append(path)


def changed_paths(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Dotted paths of the leaves that differ; list items by index, a one-sided key counts as a leaf."""
    out: list[str] = []
    _walk(_clean(old), _clean(new), "", out)
    return sorted(out)


def _without_indices(path: str) -> str:
    parts: list[str] = []
    for part in path.split("."):
        parts.append(part.split("[", 1)[0])
    return ".".join(parts)


def _covered(path: str, prefixes: tuple[str, ...]) -> bool:
    plain = _without_indices(path)
    return any(plain == prefix or plain.startswith(prefix + ".") for prefix in prefixes)


def replace_reasons(resource_type: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The force-new paths (as the rule writes them, without the `#` mark) whose values differ.

    An empty list means the provider updates in place (or there is nothing to do). For a `("*",)` rule
    the reasons are the changed top-level inputs not covered by `updatable`.
    """
    rule = rule_for(resource_type)
    old_clean, new_clean = _clean(old), _clean(new)
    if rule.force_new == ("*",):
        changed = changed_paths(old_clean, new_clean)
        return sorted({_without_indices(p).split(".", 1)[0] for p in changed if not _covered(p, rule.updatable)})
    return sorted({path.removesuffix(COUNT_ONLY) for path in rule.force_new if _differs(path, old_clean, new_clean)})


def _value_at(inputs: Mapping[str, Any] | None, path: str) -> Any:
    """The value at a dot-separated path through mappings, or None."""
    value: Any = inputs
    for segment in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(segment)
    return value


def _k8s_autonamed(inputs: Mapping[str, Any]) -> bool:
    annotations = _value_at(inputs, "metadata.annotations")
    return isinstance(annotations, Mapping) and annotations.get(K8S_AUTONAMED_ANNOTATION) == "true"


def provider_delete_before_replace(
    resource_type: str, new: Mapping[str, Any], old: Mapping[str, Any] | None = None
) -> bool:
    """Whether the provider asks to delete the old resource before creating its replacement.

    `old` (the recorded inputs) only matters for pulumi-kubernetes, which deletes first only when the
    name and namespace stay the same; without it they are assumed kept. The program's
    `delete_before_replace` option, when set, overrides this (see the module docstring).
    """
    rule = rule_for(resource_type)
    if rule.delete_before_replace_always:
        return True
    if rule.name_input is None or _value_at(new, rule.name_input) is None:
        return False
    if rule.delete_before_replace_when_kept:
        if _k8s_autonamed(new):
            return False
        if old is None:
            return True
        return all(_value_at(new, path) == _value_at(old, path) for path in rule.delete_before_replace_when_kept)
    if not rule.delete_before_replace_when_named:
        return False
    # Check lists in __defaults the inputs it filled in; a name it generated is not the program's.
    defaults = new.get("__defaults")
    return not (isinstance(defaults, list) and rule.name_input in defaults)
