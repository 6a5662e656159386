"""The Kubernetes half of "managed plus custom": services, drift jobs and MLflow on EKS.

Every object is a plain pulumi-kubernetes resource (or a `CustomResource` for Gateway API and
Envoy Gateway kinds), so the offline plan captures each one with its full spec. Pure logic (pod
security, labels, IAM documents, cron schedules) lives in Pulumi-free modules beside them.
"""

from __future__ import annotations
