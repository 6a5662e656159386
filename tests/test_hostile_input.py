"""Issue 13, the blueprint and price-file side: hostile input exits 2 with `FILE:LINE:COL: path: message`.

Never exit 3 (internal error), never a traceback, never a partial output file: control characters,
bytes that are not UTF-8, NaN and infinity, numbers too large for a float, unreadable files,
credentials in image URIs and nesting deep enough to overflow libyaml's C stack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlstack.blueprints.errors import BlueprintInvalid
from mlstack.blueprints.rules.image_refs import image_problem
from mlstack.blueprints.yaml_source import read_yaml
from tests.conftest import BASE, EXAMPLES, REPO, WriteBlueprint, line_of, problems

DIGEST = "sha256:" + "0123456789abcdef" * 4
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ranker:13"
PRICE_HEADER = "kind,name,region,usd,unit,source\n"
# BASE with a prod budget the estimate fits, so the budget rule has something to judge.
BUDGETED = BASE.replace("  prod:\n", "  prod:\n    budget_usd_month: 5000\n")


def mlstack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlstack", *args], capture_output=True, text=True, cwd=REPO, check=False
    )


def assert_invalid(result: subprocess.CompletedProcess[str], *lines: str) -> None:
    """Exit 2, each of `lines` printed whole, and nothing a bug would print."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    for line in lines:
        assert line in result.stderr.splitlines(), (line, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in result.stderr


# --- 1. control characters and bytes that are not UTF-8 ----------------------------------------


@pytest.mark.parametrize(
    ("character", "name"), [("\x00", "U+0000 (NUL)"), ("\x07", "U+0007 (BEL)"), ("\x1b", "U+001B (ESC)")]
)
def test_a_control_character_is_reported_at_its_line_and_column(
    write_blueprint: WriteBlueprint, character: str, name: str
) -> None:
    path = write_blueprint(BASE.replace("team: personalization", f"team: person{character}alization"))
    result = mlstack("validate", str(path))
    assert_invalid(result, f"{path}:2:13: <root>: control character {name} is not allowed in YAML")
    assert character not in result.stderr


def test_every_control_character_is_reported_not_only_the_first(write_blueprint: WriteBlueprint) -> None:
    text = BASE.replace("team: personalization", "team: \x1b[31mred\x1b[0m").replace("CC-4312", "CC-43\x0012")
    path = write_blueprint(text)
    assert problems(path) == [
        "bp.yaml:2:7: <root>: control character U+001B (ESC) is not allowed in YAML",
        "bp.yaml:2:15: <root>: control character U+001B (ESC) is not allowed in YAML",
        "bp.yaml:4:19: <root>: control character U+0000 (NUL) is not allowed in YAML",
    ]


def test_an_escaped_control_character_in_a_double_quoted_string_is_only_text(write_blueprint: WriteBlueprint) -> None:
    # "\x1b" written as four characters is YAML's escape, not a raw control character: the reader accepts it.
    path = write_blueprint(BASE.replace("team: personalization", 'team: "person\\x1balization"'))
    result = mlstack("validate", str(path))
    assert result.returncode == 0, result.stderr


def test_a_byte_that_is_not_utf8_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(BASE.replace("cost_center: CC-4312", "cost_center: CC-\xe94312").encode("latin-1"))
    result = mlstack("validate", str(path))
    line = line_of(BASE, "cost_center:")
    assert line == 4
    assert_invalid(
        result, f"{path}:4:17: <root>: file is not UTF-8: byte 0xe9 (invalid continuation byte); save it as UTF-8"
    )


def test_columns_after_multibyte_characters_count_characters(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_bytes(b'a: 1\nb: "\xc3\xa9\xe2\x82\xac\xff"\nc: \xe2\x82\n')
    with pytest.raises(BlueprintInvalid) as raised:
        read_yaml(path)
    assert [str(p) for p in raised.value.problems] == [
        f"{path}:2:7: <root>: file is not UTF-8: byte 0xff (invalid start byte); save it as UTF-8",
        f"{path}:3:4: <root>: file is not UTF-8: bytes 0xe2 0x82 (invalid continuation byte); save it as UTF-8",
    ]


# --- 2. price files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "nul.csv",
            PRICE_HEADER + "instance,ml.g5.xlarge,eu-west-1,1.0,hour,a\x00b\n",
            "{file}:2:43: <root>: control character U+0000 (NUL) is not allowed in a price file",
        ),
        (
            "nul.yaml",
            'prices:\n  - {kind: instance, name: ml.g5.xlarge, usd: 1.0, unit: hour, source: "a\x00b"}\n',
            "{file}:2:74: <root>: control character U+0000 (NUL) is not allowed in YAML",
        ),
        (
            "nan.csv",
            PRICE_HEADER + "instance,ml.g5.xlarge,eu-west-1,nan,hour,x\n",
            "{file}:2:1: row 2.usd: usd must be a number of dollars, 0 or more (got 'nan'); "
            "it must be finite (NaN and infinity are not prices)",
        ),
        (
            "inf.yaml",
            "prices:\n  - {kind: instance, name: ml.g5.xlarge, usd: .inf, unit: hour}\n",
            "{file}:2:42: prices[0].usd: usd must be a number of dollars, 0 or more (got inf); "
            "it must be finite (NaN and infinity are not prices)",
        ),
        (
            "overflow.csv",
            PRICE_HEADER + "instance,ml.g5.xlarge,eu-west-1,1e999,hour,x\n",
            "{file}:2:1: row 2.usd: usd must be a number of dollars, 0 or more (got '1e999'); "
            "it must be finite (NaN and infinity are not prices)",
        ),
        (
            "negative.csv",
            PRICE_HEADER + "instance,ml.g5.xlarge,eu-west-1,-1,hour,x\n",
            "{file}:2:1: row 2.usd: usd must be a number of dollars, 0 or more (got '-1')",
        ),
    ],
)
def test_a_bad_price_file_exits_2_at_its_line_in_cost_and_check(
    write_blueprint: WriteBlueprint, tmp_path: Path, name: str, content: str, expected: str
) -> None:
    blueprint = write_blueprint(BUDGETED)
    prices = tmp_path / name
    prices.write_text(content, encoding="utf-8")
    line = expected.format(file=prices)
    for command in ("cost", "check"):
        assert_invalid(mlstack(command, str(blueprint), "--env", "prod", "--prices", str(prices)), line)


def test_a_nan_price_no_longer_lets_the_budget_rule_pass(write_blueprint: WriteBlueprint, tmp_path: Path) -> None:
    """As reported: $1000/h fails the budget rule (exit 1); NaN compared false with the budget and passed it."""
    blueprint = write_blueprint(BUDGETED)
    prices = tmp_path / "prices.csv"
    prices.write_text(PRICE_HEADER + "instance,ml.g5.xlarge,eu-west-1,1000,hour,x\n", encoding="utf-8")
    expensive = mlstack("check", str(blueprint), "--env", "prod", "--prices", str(prices), "--format", "json")
    assert expensive.returncode == 1
    assert "monthly-cost-within-budget" in {finding["rule"] for finding in json.loads(expensive.stdout)["findings"]}
    for spelling in ("nan", "NaN", "inf", "-inf", "Infinity"):
        prices.write_text(PRICE_HEADER + f"instance,ml.g5.xlarge,eu-west-1,{spelling},hour,x\n", encoding="utf-8")
        result = mlstack("check", str(blueprint), "--env", "prod", "--prices", str(prices), "--format", "json")
        assert result.returncode == 2, (spelling, result.stderr)
        assert f"{prices}:2:1: row 2.usd:" in result.stderr
        assert result.stdout == ""


def test_a_price_file_not_utf8_or_unreadable_as_csv_is_one_line_each(tmp_path: Path) -> None:
    from mlstack.stack.cost.prices import read_price_file

    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(PRICE_HEADER.encode() + b"instance,ml.g5.xlarge,eu-west-1,1,hour,caf\xe9\n")
    big_field = tmp_path / "big.csv"
    big_field.write_text(PRICE_HEADER + 'instance,ml.g5.xlarge,eu-west-1,1,hour,"' + "x" * 200_000 + '"\n')
    huge_number = tmp_path / "huge.yaml"
    huge_number.write_text(f"prices:\n  - {{kind: instance, name: ml.g5.xlarge, usd: 1{'0' * 400}, unit: hour}}\n")
    expected = {
        latin1: f"{latin1}:2:43: <root>: price file is not UTF-8: byte 0xe9 (invalid continuation byte); "
        "save it as UTF-8",
        big_field: f"{big_field}:2:1: row 2: not valid CSV: field larger than field limit (131072)",
        huge_number: f"{huge_number}:2:42: prices[0].usd: usd must be a number of dollars, 0 or more "
        "(got a 401-digit number); it must be finite (NaN and infinity are not prices)",
    }
    for path, line in expected.items():
        with pytest.raises(BlueprintInvalid) as raised:
            read_price_file(path)
        assert [str(p) for p in raised.value.problems] == [line]


# --- 3. NaN, infinity and numbers past a float --------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (
            "weight: 10}",
            "weight: .inf}",
            "27:91: endpoints.ranker.variants.challenger.weight",
            "input should be a finite number (got inf)",
        ),
        (
            "weight: 10}",
            "weight: .nan}",
            "27:91: endpoints.ranker.variants.challenger.weight",
            "input should be a finite number (got nan)",
        ),
        (
            "weight: 10}",
            "weight: -.inf}",
            "27:91: endpoints.ranker.variants.challenger.weight",
            "input should be a finite number (got -inf)",
        ),
        (
            "  prod:\n",
            "  prod:\n    budget_usd_month: .inf\n",
            "11:5: environments.prod.budget_usd_month",
            "input should be a finite number (got inf)",
        ),
    ],
)
def test_nan_and_infinity_are_invalid_everywhere_a_number_goes(
    write_blueprint: WriteBlueprint, tmp_path: Path, old: str, new: str, where: str, message: str
) -> None:
    path = write_blueprint(BASE.replace(old, new, 1))
    out = tmp_path / "plan.json"
    line = f"{path}:{where}: {message}"
    assert_invalid(mlstack("validate", str(path)), line)
    # As reported: plan printed "nan% of traffic" and --json wrote `Infinity`, which is not JSON.
    for command in (["plan", "--env", "dev"], ["plan", "--env", "prod", "--json"], ["cost", "--env", "prod", "--json"]):
        result = mlstack(command[0], str(path), *command[1:])
        assert_invalid(result, line)
        assert "nan%" not in result.stdout and "Infinity" not in result.stdout and "NaN" not in result.stdout
    assert_invalid(mlstack("plan", str(path), "--env", "prod", "-o", str(out)), line)
    assert not out.exists()


def test_an_override_to_infinity_is_invalid_at_the_override(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(
        BASE.replace(
            "      endpoints.ranker.variants.champion.instances: 1\n",
            "      endpoints.ranker.variants.champion.instances: 1\n"
            "      endpoints.ranker.variants.champion.weight: .inf\n",
        )
    )
    assert_invalid(
        mlstack("plan", str(path), "--env", "dev"),
        f"{path}:10:7: endpoints.ranker.variants.champion.weight: input should be a finite number (got inf) "
        "(in environment dev)",
    )


def test_a_number_too_large_for_a_float_is_invalid_not_an_overflow(write_blueprint: WriteBlueprint) -> None:
    """A 400-digit instance count validated, then `plan` died with OverflowError (exit 3)."""
    path = write_blueprint(BASE.replace("instances: 2, weight: 90", f"instances: {'9' * 400}, weight: 90"))
    for command in (["validate"], ["plan", "--env", "prod"], ["cost", "--env", "prod"]):
        result = mlstack(command[0], str(path), *command[1:])
        assert result.returncode == 2, result.stderr
        assert (
            f"{path}:26:72: endpoints.ranker.variants.champion.instances: numbers in a blueprint are at most 10^15"
            in result.stderr
        )
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    # Weights that sum past a float's range printed "nan% of traffic".
    path = write_blueprint(BASE.replace("weight: 90", "weight: 1.0e+308").replace("weight: 10}", "weight: 1.0e+308}"))
    assert any("weight: numbers in a blueprint are at most 10^15" in p for p in problems(path))


def test_plan_json_of_a_valid_blueprint_is_strict_json(write_blueprint: WriteBlueprint) -> None:
    result = mlstack("plan", str(write_blueprint(BASE)), "--env", "prod", "--json")
    assert result.returncode == 0, result.stderr

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    json.loads(result.stdout, parse_constant=refuse)


# --- 4. files that cannot be read ------------------------------------------------------------------


def test_an_unreadable_blueprint_is_one_line_from_our_reader(
    write_blueprint: WriteBlueprint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chmod 000 gave click's five-line "Invalid value for 'FILE'" box."""
    from mlstack.stack.cli.app import app

    path = write_blueprint(BASE)
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: behave as any other user would see it
        real_access, real_read = os.access, Path.read_bytes

        def access(target: object, mode: int, *args: object, **kwargs: object) -> bool:
            return False if str(target) == str(path) else real_access(target, mode, *args, **kwargs)  # type: ignore[arg-type]

        def read_bytes(self: Path) -> bytes:
            if str(self) == str(path):
                raise PermissionError(13, "Permission denied", str(path))
            return real_read(self)

        monkeypatch.setattr(os, "access", access)
        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    try:
        for command in (["validate", str(path)], ["plan", str(path), "--env", "dev"]):
            result = CliRunner().invoke(app, command)
            assert result.exit_code == 2, result.output
            assert result.output.splitlines() == [
                f"{path}:1:1: <root>: cannot read file: Permission denied",
                "1 problem found",
            ]
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize("kind", ["directory", "missing"])
def test_a_directory_or_a_missing_blueprint_is_one_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "bp.yaml"
    if kind == "directory":
        path.mkdir()
    reason = "Is a directory" if kind == "directory" else "No such file or directory"
    for command in (["validate", str(path)], ["plan", str(path), "--env", "dev"]):
        result = mlstack(*command)
        assert_invalid(result, f"{path}:1:1: <root>: cannot read file: {reason}")
        assert "Invalid value" not in result.stderr


# --- 5. credentials in image URIs --------------------------------------------------------------------


def test_credentials_in_a_model_image_are_refused_and_never_echoed(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE.replace(f"image: {IMAGE}", f"image: https://deployer:ghp_S3cr3tT0ken@{IMAGE}"))
    for command in (["validate"], ["plan", "--env", "prod"]):
        result = mlstack(command[0], str(path), *command[1:])
        assert_invalid(result)
        assert "ghp_S3cr3tT0ken" not in result.stderr + result.stdout
        assert "deployer" not in result.stderr + result.stdout
        assert (
            f"{path}:23:9: endpoints.ranker.models.challenger.image: image 'https://***@{IMAGE}' has credentials in it "
            "(hidden here as ***): credentials in a blueprint end up in the plan, the Pulumi state and logs; "
            "let SageMaker pull with its execution role (ECR), or Kubernetes with the node role or an imagePullSecret, "
            "instead"
        ) in result.stderr.splitlines()


def test_a_credentialed_image_that_is_also_malformed_is_still_not_echoed(write_blueprint: WriteBlueprint) -> None:
    """The schema's own pattern check printed the whole value, token and all, for a URI with a space."""
    path = write_blueprint(BASE.replace(f"image: {IMAGE}", f'image: "https://deployer:ghp_S3cr3t@{IMAGE} x"'))
    found = problems(path)
    assert found == [
        f"bp.yaml:23:9: endpoints.ranker.models.challenger.image: image 'https://***@{IMAGE} x' has credentials "
        "in it (hidden here as ***): credentials in a blueprint end up in the plan, the Pulumi state and logs; "
        "let SageMaker pull with its execution role (ECR), or Kubernetes with the node role or an imagePullSecret, "
        "instead"
    ]
    path = write_blueprint(BASE.replace(f"image: {IMAGE}", f'image: "{IMAGE} x"'))
    assert problems(path) == [
        f"bp.yaml:23:9: endpoints.ranker.models.challenger.image: image '{IMAGE} x' must be one word: "
        "no spaces, tabs or line breaks"
    ]
    path = write_blueprint(BASE.replace(f"image: {IMAGE}", f"image: {IMAGE}{'0' * 250}"))
    assert problems(path) == [
        "bp.yaml:23:9: endpoints.ranker.models.challenger.image: image is 304 characters; "
        "SageMaker and Kubernetes take at most 255"
    ]


def test_credentials_in_kubernetes_and_tracking_images_are_refused(tmp_path: Path) -> None:
    text = (EXAMPLES / "kubernetes-gnn.yaml").read_text()
    gnn = "image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/gnn-scorer"
    drift = "image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/text-drift"
    text = text.replace(gnn, "image: robot:pa55@123456789012.dkr.ecr.eu-west-1.amazonaws.com/gnn-scorer").replace(
        drift, "image: https://t0ken@123456789012.dkr.ecr.eu-west-1.amazonaws.com/text-drift"
    )
    path = tmp_path / "k8s.yaml"
    path.write_text(text)
    found = problems(path)
    assert len(found) == 2, found
    assert found[0].startswith(f"bp.yaml:{line_of(text, 'robot:pa55')}:")
    assert (
        "kubernetes.services.gnn-scorer.image: image '***@123456789012.dkr.ecr.eu-west-1.amazonaws.com/gnn-scorer"
        in found[0]
    )
    assert "kubernetes.drift.query-text-drift.image: image 'https://***@123456789012" in found[1]
    assert not any("pa55" in p or "robot" in p or "t0ken" in p for p in found)

    text = (EXAMPLES / "mlflow-kubernetes.yaml").read_text()
    text = text.replace("image: 123456789012", "image: admin:hunter2@123456789012")
    path.write_text(text)
    found = problems(path)
    assert len(found) == 1 and "experiment_tracking.image: image '***@123456789012" in found[0]
    assert "hunter2" not in found[0] and "admin" not in found[0]


def test_credentials_set_by_an_override_are_refused_at_the_override(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(
        BASE.replace(
            "      endpoints.ranker.variants.champion.instances: 1\n",
            "      endpoints.ranker.variants.champion.instances: 1\n"
            f"      endpoints.ranker.models.challenger.image: u:s3cret@{IMAGE}\n",
        )
    )
    found = problems(path, "dev")
    assert len(found) == 1
    assert found[0].startswith(f"bp.yaml:10:7: endpoints.ranker.models.challenger.image: image '***@{IMAGE}'")
    assert "s3cret" not in found[0]


@pytest.mark.parametrize(
    ("image", "shown", "secret"),
    [
        (f"https://user:token@{IMAGE}", f"https://***@{IMAGE}", "user:token"),
        (f"user:pass@{IMAGE}", f"***@{IMAGE}", "user:pass"),
        ("token@registry.example.com/team/model:1", "***@registry.example.com/team/model:1", "token"),
        (f"u:p@ss@host/repo@{DIGEST}", f"***@host/repo@{DIGEST}", "u:p@ss"),  # a token may hold '@'
        ("https://u:pa/ss@host/repo", "https://***@host/repo", "u:pa/ss"),  # ... or '/'
        ("user:pass@host", "***@host", "user:pass"),
        ("host/repo@latest", "***@latest", "host/repo"),  # not a digest: hidden all the same
    ],
)
def test_image_user_info_is_found_and_hidden(image: str, shown: str, secret: str) -> None:
    message = image_problem(image)
    assert message is not None and message.startswith(f"image {shown!r}")
    assert secret not in message


@pytest.mark.parametrize(
    "image", [IMAGE, f"{IMAGE}@{DIGEST}", f"ubuntu@{DIGEST}", "ghcr.io/mlflow/mlflow:v3.10.0-full"]
)
def test_image_references_without_user_info_pass(image: str) -> None:
    assert image_problem(image) is None


# --- 6. nesting -------------------------------------------------------------------------------------------


def test_nesting_that_overflows_libyamls_c_stack_is_a_problem_not_a_segfault(tmp_path: Path) -> None:
    """~1,000 levels were already refused; ~100,000 crashed libyaml's recursive composer (SIGSEGV, exit -11)."""
    path = tmp_path / "deep.yaml"
    path.write_text(BASE + "policies:\n  levels: " + "[" * 100_000 + "]" * 100_000 + "\n")
    line = f"{path}:29:1: <root>: values nest more than 100 levels deep"
    for command in (["validate"], ["plan", "--env", "prod"], ["cost", "--env", "prod"], ["check", "--env", "prod"]):
        assert_invalid(mlstack(command[0], str(path), *command[1:]), line)
    prices = tmp_path / "deep-prices.yaml"
    prices.write_text("prices:\n  - " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n")
    blueprint = tmp_path / "bp.yaml"
    blueprint.write_text(BASE)
    assert_invalid(
        mlstack("cost", str(blueprint), "--env", "prod", "--prices", str(prices)),
        f"{prices}:2:1: <root>: values nest more than 100 levels deep",
    )


def test_a_thousand_levels_is_still_refused_in_one_line(write_blueprint: WriteBlueprint) -> None:
    path = write_blueprint(BASE + "x: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n")
    assert problems(path) == ["bp.yaml:28:1: <root>: values nest more than 100 levels deep"]
