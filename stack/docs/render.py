"""One graph, two renderers (Mermaid for GitHub, DOT for Graphviz), and the Markdown page around them.

Pure text in, text out: running `dot` and writing files is `stack.cli.docs`'s job. Every string that
comes from a blueprint (a team name, an e-mail, an S3 URI, a header name) is escaped for the format
it lands in, so no value can break out of a label, a table cell or a code span.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mlstack.blueprints.load import ResolvedBlueprint
from mlstack.policies.offline import Report
from mlstack.policies.report import summary_line, where
from mlstack.policies.settings import CeilingDriver
from mlstack.stack.cost.estimate import CostReport, usd
from mlstack.stack.docs.graph import Architecture, Cluster, Edge, Graph, Node, NodeKind, percent, physical_name
from mlstack.stack.plan.engine import Plan
from mlstack.stack.plan.render import short_type

# --- Mermaid ----------------------------------------------------------------------------------------

_MERMAID_SHAPES: dict[NodeKind, tuple[str, str]] = {
    "endpoint": ("[", "]"),
    "variant": ("([", "])"),
    "shadow": ("([", "])"),
    "bucket": ("[(", ")]"),
    "registry": ("[(", ")]"),
    "key": ("[", "]"),
    "topic": (">", "]"),
    "monitor": ("[", "]"),
    "api": ("{{", "}}"),
    "gateway": ("{{", "}}"),
    "service": ("[", "]"),
    "job": ("[/", "/]"),
    "tracking": ("[", "]"),
    "features": ("[(", ")]"),
    "other": ("[", "]"),
}
_MERMAID_ARROWS = {"traffic": "-->", "shadow": "-.->", "data": "-->", "alarm": "-.->", "control": "-.->"}
_MERMAID_CLASSES = {
    "endpoint": "fill:#e8f0fe,stroke:#1a56db,color:#111",
    "variant": "fill:#ffffff,stroke:#1a56db,color:#111",
    "shadow": "fill:#ffffff,stroke:#6b7280,stroke-dasharray:5 3,color:#111",
    "store": "fill:#fef9e7,stroke:#b7791f,color:#111",
    "alert": "fill:#fdecea,stroke:#c0392b,color:#111",
    "watch": "fill:#eefaf1,stroke:#2f855a,color:#111",
    "k8s": "fill:#f3e8fd,stroke:#6b46c1,color:#111",
}
_MERMAID_CLASS_OF: dict[NodeKind, str] = {
    "endpoint": "endpoint",
    "variant": "variant",
    "shadow": "shadow",
    "bucket": "store",
    "registry": "store",
    "key": "store",
    "features": "store",
    "tracking": "store",
    "topic": "alert",
    "monitor": "watch",
    "api": "watch",
    "gateway": "k8s",
    "service": "k8s",
    "job": "k8s",
    "other": "variant",
}
_EDGE_COLOURS = {
    "traffic": "#1a56db",
    "shadow": "#6b7280",
    "data": "#b7791f",
    "alarm": "#c0392b",
    "control": "#6b46c1",
}


def mermaid_text(text: str) -> str:
    """`text` safe inside a quoted Mermaid label: entity codes for everything Mermaid or HTML would read."""
    # `#` first: the entity codes themselves start with it.
    replacements = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "|": "#124;", "`": "#96;"}
    escaped = "".join(replacements.get(char, char) for char in text)
    return re.sub(r"\s+", " ", escaped)


def _mermaid_label(node: Node) -> str:
    return "<br/>".join(mermaid_text(line) for line in (node.title, *node.details))


def mermaid(graph: Graph) -> str:
    """A `flowchart LR`: clusters as subgraphs, each node declared once inside its own."""
    lines = ["flowchart LR"]
    children: dict[str | None, list[Cluster]] = {}
    for cluster in graph.clusters:
        children.setdefault(cluster.parent, []).append(cluster)
    members: dict[str | None, list[Node]] = {}
    for node in graph.nodes:
        members.setdefault(node.cluster, []).append(node)

    def declare(node: Node, depth: int) -> None:
        opening, closing = _MERMAID_SHAPES[node.kind]
        # Quoted, so brackets and parentheses in a label never close the shape.
        lines.append(f'{"    " * depth}{node.id}{opening}"{_mermaid_label(node)}"{closing}')

    def emit(parent: str | None, depth: int) -> None:
        for node in members.get(parent, []):
            declare(node, depth)
        for cluster in children.get(parent, []):
            lines.append(f'{"    " * depth}subgraph {cluster.id}["{mermaid_text(cluster.label)}"]')
            lines.append(f"{'    ' * (depth + 1)}direction LR")
            emit(cluster.id, depth + 1)
            lines.append(f"{'    ' * depth}end")

    emit(None, 1)
    for edge in graph.edges:
        arrow = _MERMAID_ARROWS[edge.kind]
        lines.append(f'    {edge.source} {arrow}|"{mermaid_text(edge.label)}"| {edge.target}')
    for name, style in _MERMAID_CLASSES.items():
        lines.append(f"    classDef {name} {style}")
    by_class: dict[str, list[str]] = {}
    for node in graph.nodes:
        by_class.setdefault(_MERMAID_CLASS_OF[node.kind], []).append(node.id)
    for name, ids in by_class.items():
        lines.append(f"    class {','.join(ids)} {name}")
    for kind, colour in _EDGE_COLOURS.items():
        indexes = [str(i) for i, edge in enumerate(graph.edges) if edge.kind == kind]
        if indexes:
            lines.append(f"    linkStyle {','.join(indexes)} stroke:{colour},color:{colour}")
    return "\n".join(lines) + "\n"


# --- DOT --------------------------------------------------------------------------------------------

_DOT_SHAPES: dict[NodeKind, str] = {
    "endpoint": "box",
    "variant": "box",
    "shadow": "box",
    "bucket": "cylinder",
    "registry": "cylinder",
    "key": "box",
    "topic": "box",
    "monitor": "box",
    "api": "box",
    "gateway": "box",
    "service": "box",
    "job": "box",
    "tracking": "box",
    "features": "cylinder",
    "other": "box",
}
_DOT_FILL = {
    "endpoint": "#e8f0fe",
    "variant": "#ffffff",
    "shadow": "#ffffff",
    "store": "#fef9e7",
    "alert": "#fdecea",
    "watch": "#eefaf1",
    "k8s": "#f3e8fd",
}
_DOT_STROKE = {
    "endpoint": "#1a56db",
    "variant": "#1a56db",
    "shadow": "#6b7280",
    "store": "#b7791f",
    "alert": "#c0392b",
    "watch": "#2f855a",
    "k8s": "#6b46c1",
}
_DOT_EDGE_STYLE = {"traffic": "solid", "shadow": "dashed", "data": "solid", "alarm": "dashed", "control": "dashed"}
_FONT = "Helvetica"


def dot_html(text: str) -> str:
    """`text` safe inside a Graphviz HTML-like label."""
    replacements = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": " ", "\r": " "}
    return "".join(replacements.get(char, char) for char in text)


def dot_string(text: str) -> str:
    r"""`text` as a DOT double-quoted string: backslashes doubled (else `\N`, `\G`, `\l` are escapes)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"\s+", " ", escaped) + '"'


def _dot_label(node: Node) -> str:
    lines = [f"<B>{dot_html(node.title)}</B>"]
    lines += [f'<FONT POINT-SIZE="9" COLOR="#444444">{dot_html(line)}</FONT>' for line in node.details]
    return "<" + "<BR/>".join(lines) + ">"


def dot(graph: Graph) -> str:
    """A left-to-right digraph: one cluster per subgraph, nodes and edges styled by kind."""
    lines = [
        "digraph platform {",
        f"    graph [rankdir=LR, newrank=true, fontname={dot_string(_FONT)}, fontsize=16, labelloc=t, "
        f"labeljust=l, label=<<B>{dot_html(graph.title)}</B>>, nodesep=0.3, ranksep=0.9, pad=0.3, "
        'bgcolor="white", splines=true, compound=true];',
        f'    node [fontname={dot_string(_FONT)}, fontsize=11, style="rounded,filled", penwidth=1.2, '
        'margin="0.14,0.06"];',
        f"    edge [fontname={dot_string(_FONT)}, fontsize=9, penwidth=1.1, arrowsize=0.7];",
    ]
    children: dict[str | None, list[Cluster]] = {}
    for cluster in graph.clusters:
        children.setdefault(cluster.parent, []).append(cluster)
    members: dict[str | None, list[Node]] = {}
    for node in graph.nodes:
        members.setdefault(node.cluster, []).append(node)

    def declare(node: Node, depth: int) -> None:
        role = _MERMAID_CLASS_OF[node.kind]
        style = "rounded,filled,dashed" if node.kind == "shadow" else "rounded,filled"
        if _DOT_SHAPES[node.kind] != "box":
            style = "filled"
        lines.append(
            f"{'    ' * depth}{node.id} [label={_dot_label(node)}, shape={_DOT_SHAPES[node.kind]}, "
            f'style="{style}", fillcolor="{_DOT_FILL[role]}", color="{_DOT_STROKE[role]}"];'
        )

    def emit(parent: str | None, depth: int) -> None:
        for cluster in children.get(parent, []):
            indent = "    " * depth
            nested = cluster.parent is not None
            lines.append(f"{indent}subgraph cluster_{cluster.id} {{")
            lines.append(
                f"{indent}    label=<<B>{dot_html(cluster.label)}</B>>; fontsize={11 if nested else 13}; "
                f'style="rounded,filled"; fillcolor="{"#ffffff" if nested else "#f6f7f9"}"; '
                f'color="{"#c5cbd3" if nested else "#9aa4b1"}"; margin=12;'
            )
            emit(cluster.id, depth + 1)
            if cluster.one_column:
                ids = "; ".join(node.id for node in members.get(cluster.id, []))
                lines.append(f"{indent}    {{rank=same; {ids}}}")
            lines.append(f"{indent}}}")
        for node in members.get(parent, []):
            declare(node, depth)

    emit(None, 1)
    for column in graph.columns:
        lines.append(f"    {{rank=same; {'; '.join(column)}}}")
    for edge in graph.edges:
        colour = _EDGE_COLOURS[edge.kind]
        # Alarms leave from everywhere; at weight 0 they never pull a node out of its column.
        extra = ", weight=0" if edge.kind == "alarm" else ""
        source = edge.source
        if edge.leave is not None:
            leaving, source = edge.leave
            extra += f", ltail=cluster_{leaving}"
        lines.append(
            f"    {source} -> {edge.target} [label={dot_string(edge.label)}, "
            f'style={_DOT_EDGE_STYLE[edge.kind]}, color="{colour}", fontcolor="{colour}"{extra}];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Markdown ---------------------------------------------------------------------------------------


def md_text(text: str) -> str:
    """Plain text for a Markdown paragraph or table cell: no HTML, no table breaks, no emphasis."""
    escaped = text.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = re.sub(r"([|*_`\[\]])", r"\\\1", escaped)
    return re.sub(r"\s+", " ", escaped).strip()


def md_code(text: str) -> str:
    """`text` as an inline code span in a table cell: a fence longer than any backtick run inside it."""
    text = re.sub(r"\s+", " ", text)
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    # GitHub splits table cells on `|` even inside code spans; `\|` keeps it in the cell.
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


@dataclass(frozen=True)
class PageInput:
    """Everything a page shows, computed by the command: nothing is planned or priced here."""

    resolved: ResolvedBlueprint
    plan: Plan
    architecture: Architecture
    cost: CostReport
    ceiling_drivers: tuple[CeilingDriver, ...]
    policy: Report
    blueprint_file: str
    stem: str
    """`<blueprint>-<environment>`: the name of the page, its SVG and its DOT file."""
    svg: bool
    """Whether the SVG was rendered next to the page (else the page says how to render it)."""


def page(data: PageInput) -> str:
    """The Markdown page: diagram (Mermaid, and the SVG), endpoints, flows, resources, cost, policy."""
    blueprint = data.resolved.blueprint
    environment = data.resolved.environment_name
    title = f"{blueprint.blueprint} / {environment}"
    lines = [
        f"# {md_text(title)}: platform",
        "",
        f"Generated by `mlstack docs` from {md_code(data.blueprint_file)}, environment {md_code(environment)}, "
        "from the offline plan: regenerate it rather than edit it.",
        "",
        f"- Team: {md_text(blueprint.team)}; owner: {md_text(blueprint.owner)}; "
        f"cost center: {md_text(blueprint.cost_center)}",
        f"- Region: {md_code(blueprint.region)}; Pulumi stack: {md_code(data.plan.stack)}",
        "",
        "Contents: [Architecture](#architecture) · [Endpoints and traffic](#endpoints-and-traffic) · "
        "[Data flows](#data-flows) · [Resources](#resources) · [Cost](#cost) · [Policy](#policy)",
        "",
        *_architecture_section(data),
        *_endpoints_section(data.architecture),
        *_flows_section(data.architecture.graph),
        *_resources_section(data.plan),
        *_cost_section(data),
        *_policy_section(data.policy),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _architecture_section(data: PageInput) -> list[str]:
    lines = [
        "## Architecture",
        "",
        "Requests flow left to right. Solid blue: requests and their shares; dashed grey: the copy a shadow "
        "variant gets; amber: data written to the artifact bucket or read by a monitor; dashed red: alarms "
        "to on-call; dashed purple: model versions.",
        "",
        "```mermaid",
        mermaid(data.architecture.graph).rstrip("\n"),
        "```",
        "",
    ]
    if data.svg:
        lines += [
            f"The same graph drawn by Graphviz ([{data.stem}.svg]({data.stem}.svg), from [{data.stem}.dot]"
            f"({data.stem}.dot)):",
            "",
            f"![{md_text(data.resolved.blueprint.blueprint)} {md_text(data.resolved.environment_name)} "
            f"architecture]({data.stem}.svg)",
            "",
        ]
    else:
        lines += [
            f"Graphviz was not run: draw the same graph with `dot -Tsvg {data.stem}.dot -o {data.stem}.svg` "
            f"([{data.stem}.dot]({data.stem}.dot)).",
            "",
        ]
    return lines


def _endpoints_section(architecture: Architecture) -> list[str]:
    lines = ["## Endpoints and traffic", ""]
    if not architecture.endpoints:
        return [*lines, "No SageMaker endpoints.", ""]
    rows = []
    for endpoint in architecture.endpoints:
        for variant in endpoint.variants:
            if variant.component:
                share = "requests that name it"
            elif variant.shadow:
                share = f"shadow: copy of {percent(variant.share_percent)}"
            else:
                share = percent(variant.share_percent)
            rows.append(
                [
                    md_text(endpoint.name),
                    md_code(endpoint.physical_name),
                    md_text(variant.name),
                    md_text(variant.model),
                    md_text(variant.fleet),
                    share,
                ]
            )
    lines += _table(["endpoint", "SageMaker name", "variant", "model", "fleet", "traffic"], rows)
    lines += [
        "",
        "A production variant's share is its weight over the sum of the endpoint's weights; a shadow gets a copy "
        "of that share of requests, and its answers are logged, never returned. An inference component serves "
        "the requests that name it (InferenceComponentName), on the fleet its endpoint shares.",
        "",
    ]
    return lines


def _flows_section(graph: Graph) -> list[str]:
    lines = ["## Data flows", ""]
    if not graph.edges:
        return [*lines, "None.", ""]

    def title(node_id: str) -> str:
        return md_text(graph.node(node_id).title)

    lines += [f"- {title(e.source)} → {title(e.target)}: {md_text(e.label)}" for e in graph.edges if _listed(e)]
    return [*lines, ""]


def _listed(edge: Edge) -> bool:
    # Traffic shares are in the endpoints table; the list is about data, alarms and versions.
    return edge.kind not in ("traffic", "shadow") or edge.label.startswith("HTTPRoute")


def _resources_section(plan: Plan) -> list[str]:
    custom = [r for r in plan.resources if r.custom]
    names = {r.urn: r.name for r in plan.resources}
    counts = Counter(short_type(r.type) for r in custom)
    lines = [
        "## Resources",
        "",
        f"{len(custom)} resources, by type:",
        "",
        *_table(
            ["type", "count"],
            ([md_code(kind), str(count)] for kind, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        ),
        "",
        # Folded: a hundred rows would push cost and policy out of sight.
        "<details>",
        f"<summary>All {len(custom)} resources: component, Pulumi logical name and physical name (blank where "
        "AWS assigns it at creation)</summary>",
        "",
        *_table(
            ["component", "type", "logical name", "physical name"],
            (
                [
                    md_code(names.get(r.parent, "") if r.parent else ""),
                    md_code(short_type(r.type)),
                    md_code(r.name),
                    md_code(physical_name(r)),
                ]
                for r in custom
            ),
        ),
        "",
        "</details>",
        "",
    ]
    if plan.outputs:
        lines += [
            "Stack outputs:",
            "",
            *_table(["output", "value"], ([md_code(k), md_code(str(v))] for k, v in sorted(plan.outputs.items()))),
            "",
        ]
    return lines


def _cost_section(data: PageInput) -> list[str]:
    report = data.cost
    budget = data.resolved.environment.budget_usd_month
    lines = [
        "## Cost",
        "",
        f"- Baseline (autoscaling minimums): **{usd(report.baseline_usd)} per month**",
        f"- Ceiling (autoscaling maximums): **{usd(report.ceiling_usd)} per month**",
    ]
    if budget is not None:
        lines.append(f"- Budget: {usd(budget)} per month")
    usage = report.without_figure("usage-priced")
    unpriced = report.without_figure("unpriced")
    if usage or unpriced:
        lines.append(
            f"- Not in the totals: {len(usage)} usage-priced, {len(unpriced)} unpriced resources "
            "(`mlstack cost` lists them with the reason)"
        )
    lines.append("")
    biggest = report.biggest(5)
    if biggest:
        lines += [
            "Top drivers at baseline:",
            "",
            *_table(
                ["resource", "baseline", "ceiling", "provenance"],
                (
                    [md_code(item.name), usd(item.baseline_usd or 0.0), usd(item.ceiling_usd or 0.0), item.provenance]
                    for item in biggest
                ),
            ),
            "",
        ]
    if data.ceiling_drivers:
        lines += [
            "What grows towards the ceiling:",
            "",
            *_table(
                ["what", "baseline", "ceiling", "headroom"],
                (
                    [md_text(d.what), usd(d.baseline_usd), usd(d.ceiling_usd), usd(d.headroom_usd)]
                    for d in data.ceiling_drivers[:5]
                ),
            ),
            "",
        ]
    lines += [f"Assumptions: {md_text('; '.join(report.assumptions))}.", ""]
    return lines


def _policy_section(report: Report) -> list[str]:
    lines = ["## Policy", "", f"`mlstack check` for this environment: {md_text(summary_line(report))}.", ""]
    if not report.findings:
        return [*lines, "No findings.", ""]
    order = {"mandatory": 0, "advisory": 1}
    findings = sorted(report.findings, key=lambda f: (f.suppressed, order.get(f.level, 2), f.rule, f.name))
    lines += _table(
        ["level", "rule", "resource", "where", "finding"],
        (
            [
                "suppressed" if f.suppressed else f.level,
                md_code(f.rule),
                md_code(f.name or "(stack)"),
                md_code(where(f)),
                md_text(f.message + (f" (suppressed: {f.suppression_reason})" if f.suppressed else "")),
            ]
            for f in findings
        ),
    )
    return [*lines, ""]
