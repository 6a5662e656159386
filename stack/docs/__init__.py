"""`mlstack docs`: a page a team can commit or publish, from a blueprint environment's offline plan.

`graph` turns the resolved blueprint and its plan into one graph model (nodes, clusters, flows);
`render` writes that model as Mermaid and as Graphviz DOT, and the Markdown page around them.
Nothing here plans, prices or checks anything itself: the command passes in the plan, the cost
report and the policy report that `mlstack plan`, `cost` and `check` compute.
"""
