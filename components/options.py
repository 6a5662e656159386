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
