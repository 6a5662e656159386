"""`mlstack docs`: the page, its Mermaid and DOT renderings of one graph, and the SVG Graphviz draws.

The render tests need Graphviz's `dot` (CI installs it): without it they fail and say so, rather
than skip, so a CI that lost the package cannot pass silently.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import typer
from typer.testing import CliRunner

from mlstack.blueprints.load import load
from mlstack.stack.cli.docs import docs
from mlstack.stack.docs.graph import Architecture, Graph, architecture, percent
from mlstack.stack.docs.render import dot, dot_html, dot_string, md_code, mermaid, mermaid_text
from mlstack.stack.plan import plan_file
from tests.conftest import REPO

EXAMPLES = REPO / "blueprints" / "examples"
RECSYS = EXAMPLES / "recsys.yaml"

app = typer.Typer()
app.command()(docs)


@app.callback()
def _group() -> None:
    """A group, so the command is invoked by name as under `mlstack`."""


def _dot() -> str:
    found = shutil.which("dot")
    if found is None:
        pytest.fail("Graphviz's `dot` is not on PATH: install graphviz (apt-get install graphviz) to run these tests")
    return found


@cache
def _recsys_prod() -> Architecture:
    return architecture(*plan_file(RECSYS, "prod"))


@pytest.fixture(scope="module")
def recsys_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    _dot()
    out = tmp_path_factory.mktemp("docs")
    result = CliRunner().invoke(app, ["docs", str(RECSYS), "--env", "prod", "-o", str(out)])
    assert result.exit_code == 0, result.output
    yield out


def _mermaid_block(markdown: str) -> str:
    blocks: list[str] = re.findall(r"```mermaid\n(.*?)```", markdown, flags=re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_the_page_shows_every_endpoint_variant_share_and_the_shadow(recsys_page: Path) -> None:
    text = (recsys_page / "recsys-prod.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in recsys_page.iterdir()) == ["recsys-prod.dot", "recsys-prod.md", "recsys-prod.svg"]
    rows = {
        (cells[0], cells[2]): cells[5]
        for line in text.splitlines()
        if line.startswith("| ") and len(cells := [c.strip() for c in line.strip("|").split("|")]) == 6
    }
    assert rows[("ranker", "champion")] == "90%"
    assert rows[("ranker", "challenger")] == "10%"
    assert rows[("fraud-scorer", "live")] == "100%"
    assert rows[("fraud-scorer", "candidate")] == "shadow: copy of 100%"
    assert rows[("assistant-llm", "main")] == "100%"
    assert rows[("intent-classifier", "distilbert")] == "100%"
    block = _mermaid_block(text)
    assert '-->|"90% of traffic"| n_variant_ranker_champion' in block
    assert '-->|"10% of traffic"| n_variant_ranker_challenger' in block
    assert '-.->|"copy of 100%"| n_shadow_fraud_scorer_candidate' in block
    assert "![recsys prod architecture](recsys-prod.svg)" in text
    for section in ("## Architecture", "## Endpoints and traffic", "## Data flows", "## Resources", "## Cost"):
        assert section in text
    assert "## Policy" in text and "0 mandatory, 4 advisory, 4 suppressed; exit 0" in text


def test_the_page_lists_the_flows(recsys_page: Path) -> None:
    flows = (recsys_page / "recsys-prod.md").read_text(encoding="utf-8").split("## Data flows")[1].split("##")[0]
    expected = [
        "Endpoint ranker → Drift monitor ranker-data: data capture 20%",
        "Endpoint fraud-scorer → Drift monitor fraud-quality: data capture 100%",
        "Feedback API → Artifact bucket: feedback/",
        "Gateway mlstack → Service gnn-scorer: HTTPRoute /",
        "Endpoint ranker → On-call topic (SNS): 3 alarms",
        "Drift monitor ranker-data → On-call topic (SNS): 2 alarms",
        "Drift job intent-text-drift → On-call topic (SNS): 1 alarm",
        "MLflow tracking (SageMaker) → Model registry: registers model versions",
    ]
    for flow in expected:
        assert f"- {flow}" in flows


def test_registry_versions_flow_to_the_endpoint_whose_model_names_the_group() -> None:
    # recsys declares model groups but no model names one, so only churn draws this flow.
    graph = architecture(*plan_file(EXAMPLES / "registry-features.yaml", "prod")).graph
    flows = {(graph.node(e.source).title, graph.node(e.target).title, e.label) for e in graph.edges}
    assert ("Model registry", "Endpoint churn", "versions of churn-model") in flows
    recsys = _recsys_prod().graph
    assert not [e for e in recsys.edges if recsys.node(e.source).kind == "registry"]


def test_clusters_group_endpoints_platform_and_kubernetes() -> None:
    graph = _recsys_prod().graph
    labels = {c.id: c.label for c in graph.clusters}
    where = {n.title: labels.get(n.cluster or "", "") for n in graph.nodes}
    for shared in ("Artifact bucket", "Platform KMS key", "On-call topic (SNS)"):
        assert where[shared] == "Shared platform"
    assert where["Service gnn-scorer"].startswith("Kubernetes")
    assert where["Gateway mlstack"].startswith("Kubernetes")
    parents = {c.id: c.parent for c in graph.clusters}
    endpoint_cluster = next(n.cluster for n in graph.nodes if n.title == "Endpoint ranker")
    assert endpoint_cluster is not None
    assert labels[parents[endpoint_cluster] or ""] == "SageMaker endpoints"


def _check_mermaid(text: str, graph: Graph | None = None) -> None:
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == "flowchart LR"
    depth = 0
    for line in lines:
        if line.startswith("subgraph "):
            depth += 1
        elif line == "end":
            depth -= 1
            assert depth >= 0, "`end` without a subgraph"
    assert depth == 0, "a subgraph is not closed"
    declared = [m.group(1) for line in lines if (m := re.match(r'^(n_\w+)(\[|\(|>|\{)+/?"', line))]
    assert len(declared) == len(set(declared)), "a node is declared twice"
    if graph is not None:
        assert set(declared) == {n.id for n in graph.nodes}
    subgraphs = [line.split()[1].split("[")[0] for line in lines if line.startswith("subgraph ")]
    assert len(subgraphs) == len(set(subgraphs))
    assert not set(subgraphs) & set(declared)
    edges = [re.match(r'^(n_\w+) (-->|-\.->)\|"[^"]*"\| (n_\w+)$', line) for line in lines if "->|" in line]
    assert edges and all(edges), "an edge is malformed"
    for edge in edges:
        assert edge is not None
        assert edge.group(1) in declared and edge.group(3) in declared
    for line in lines:
        if line.startswith("linkStyle"):
            assert all(int(i) < len(edges) for i in line.split()[1].split(","))


def test_the_mermaid_is_well_formed() -> None:
    graph = _recsys_prod().graph
    _check_mermaid(mermaid(graph), graph)


def test_the_dot_renders_to_an_svg_with_every_endpoint(recsys_page: Path) -> None:
    svg = recsys_page / "recsys-prod.svg"
    assert svg.stat().st_size > 20_000
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    texts = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for endpoint in ("ranker", "fraud-scorer", "assistant-llm", "intent-classifier"):
        assert f"Endpoint {endpoint}" in texts
    for share in ("90% of traffic", "10% of traffic", "copy of 100%"):
        assert share in texts
    # The SVG is the DOT file drawn: the same text rendered again gives the same picture.
    again = subprocess.run(
        [_dot(), "-Tsvg", str(recsys_page / "recsys-prod.dot")], capture_output=True, check=True, timeout=120
    )
    assert again.stdout.decode("utf-8") == svg.read_text(encoding="utf-8")


def test_the_dot_renders_to_a_png(tmp_path: Path) -> None:
    png = tmp_path / "recsys-prod.png"
    source = tmp_path / "recsys-prod.dot"
    source.write_text(dot(_recsys_prod().graph), encoding="utf-8")
    subprocess.run([_dot(), "-Tpng", str(source), "-o", str(png)], check=True, capture_output=True, timeout=120)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert len(data) > 50_000 and width > 1000 and height > 600


def test_hostile_labels_stay_inside_them(tmp_path: Path) -> None:
    hostile = 'a"b<c>&d|e`f#g\\N\n]] end'
    assert mermaid_text(hostile) == "a#quot;b#lt;c#gt;#amp;d#124;e#96;f#35;g\\N ]] end"
    assert dot_html(hostile) == "a&quot;b&lt;c&gt;&amp;d|e`f#g\\N ]] end"
    assert dot_string(hostile) == '"a\\"b<c>&d|e`f#g\\\\N ]] end"'
    assert md_code("x|`y`") == "`` x\\|`y` ``"
    # A team name and e-mail are free text the page and the graph title show.
    blueprint = RECSYS.read_text(encoding="utf-8").replace(
        "team: personalization", "team: '\"<script>alert(1)</script> | `x` & y'"
    )
    path = tmp_path / "recsys.yaml"
    path.write_text(blueprint, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["docs", str(path), "--env", "dev", "-o", str(out), "--no-svg"])
    assert result.exit_code == 0, result.output
    text = (out / "recsys-dev.md").read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_every_example_and_environment_makes_a_page(tmp_path: Path) -> None:
    _dot()
    runner = CliRunner()
    for example in sorted(EXAMPLES.glob("*.yaml")):
        for environment in load(example).environments:
            result = runner.invoke(app, ["docs", str(example), "--env", environment, "-o", str(tmp_path)])
            assert result.exit_code == 0, f"{example.name} {environment}: {result.output}"
            stem = f"{load(example).blueprint}-{environment}"
            _check_mermaid(_mermaid_block((tmp_path / f"{stem}.md").read_text(encoding="utf-8")))
            ET.parse(tmp_path / f"{stem}.svg")


def test_without_dot_the_page_and_dot_are_written_and_stderr_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = CliRunner().invoke(app, ["docs", str(RECSYS), "--env", "dev", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["recsys-dev.dot", "recsys-dev.md"]
    assert "the SVG was not rendered" in result.output
    text = (tmp_path / "out" / "recsys-dev.md").read_text(encoding="utf-8")
    assert "dot -Tsvg recsys-dev.dot -o recsys-dev.svg" in text and "](recsys-dev.svg)" not in text
    # Asked for the picture: an unusable environment, and nothing is written.
    asked = CliRunner().invoke(app, ["docs", str(RECSYS), "--env", "dev", "-o", str(tmp_path / "asked"), "--svg"])
    assert asked.exit_code == 2
    assert not (tmp_path / "asked").exists()


def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    unknown = CliRunner().invoke(app, ["docs", str(RECSYS), "--env", "nope", "-o", str(out)])
    assert unknown.exit_code == 2, unknown.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("blueprint: [\n", encoding="utf-8")
    invalid = CliRunner().invoke(app, ["docs", str(broken), "--env", "prod", "-o", str(out)])
    assert invalid.exit_code == 2, invalid.output
    assert not out.exists()
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    unwritable = CliRunner().invoke(app, ["docs", str(RECSYS), "--env", "dev", "-o", str(blocked), "--no-svg"])
    assert unwritable.exit_code == 2
    assert "cannot write" in unwritable.output


def test_percent() -> None:
    assert [percent(v) for v in (90.0, 10.0, 100 / 3, 0.05)] == ["90%", "10%", "33.3%", "0.05%"]


def test_a_component_endpoint_draws_its_components_on_the_shared_fleet() -> None:
    drawn = architecture(*plan_file(EXAMPLES / "inference-components.yaml", "prod"))
    graph = drawn.graph
    titles = {n.title for n in graph.nodes}
    assert {"Component intent", "Component sentiment", "Component toxicity"} <= titles
    # Nothing the page does not know how to draw: no fallback "other" node, no model-less variant.
    assert [n.title for n in graph.nodes if n.kind == "other"] == []
    assert "Variant fleet" not in titles
    [endpoint] = drawn.endpoints
    intent = next(v for v in endpoint.variants if v.name == "intent")
    assert (
        intent.component
        and intent.fleet == "1-4 copies × (1 GPU, 4 CPU, 16384 MiB) on 2-3 × ml.g5.12xlarge (scaled by SageMaker)"
    )
