"""mlstack: declarative ML platforms on AWS, from one YAML blueprint to Pulumi components.

Everything mlstack installs lives under this one import package, so none of its names can shadow,
or be shadowed by, a team's own modules:

- `mlstack.components`: the Pulumi components (SageMaker endpoints, feature store, tracking,
  monitoring, feedback API, Kubernetes serving), usable from any Pulumi program;
- `mlstack.blueprints`: the blueprint language (schema, loading, rules);
- `mlstack.policies`: the policy pack, offline and as a CrossGuard pack;
- `mlstack.stack`: the Pulumi program, the offline plan, cost, day-2 operations and the CLI.

In the repository those four are top-level folders (the product's layout); `mlstack/` holds
symbolic links to them, so the source tree and the installed wheel import the same names.
"""
