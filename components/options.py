"""Resource options every component gives its children."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi


def child_options(
    parent: pulumi.Resource, opts: pulumi.ResourceOptions | None, depends_on: Sequence[pulumi.Resource] = ()
) -> pulumi.ResourceOptions:
    """Options for a component's child: the component as parent, plus the component's own
    `depends_on`, which the Python SDK does not pass on to children. Without this, a child of an
    endpoint that depends on the foundation could be created before the role's policy exists.
    """
    inherited = opts.depends_on if opts and isinstance(opts.depends_on, list) else []
    return pulumi.ResourceOptions(parent=parent, depends_on=[*inherited, *depends_on])


def replacement_options(options: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    """`options` for a resource whose physical name changes whenever it must be replaced.

    pulumi-terraform-bridge asks for delete-before-replace whenever a resource's name is set
    explicitly, because two resources cannot usually share a name. A content-versioned name never
    does, so the replacement can be created first and the old resource deleted last, after
    everything that used it has moved; `delete_before_replace=False` tells the engine so.
    """
    return pulumi.ResourceOptions.merge(options, pulumi.ResourceOptions(delete_before_replace=False))
