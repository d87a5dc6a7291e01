"""The documentation in the repository: no reference to files users do not have, every output column and summary
key documented, the YAML formats under their own names."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq

import mcfn
from mcfn.sim.report import write_outputs
from tests.conftest import run_cli
from tests.sim.conftest import small_scenario

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"


def test_no_reference_to_the_spec_folder_users_do_not_have(capsys):
    texts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    for command in ("allocate", "partition", "route", "run", "serve", "profile", "models"):
        texts.append(run_cli(capsys, command, "--help")[1])
    for text in texts:
        assert "spec/" not in text


def test_every_relative_link_of_the_readme_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?!https?:)[^)#]+)", readme)
    assert links
    for link in links:
        assert (ROOT / link).exists(), link


def test_every_task_column_and_summary_key_is_documented(tmp_path):
    runs = mcfn.simulate(small_scenario(duration_s=2), policies=["random"])
    write_outputs(tmp_path, {}, runs)
    outputs = (DOCS / "outputs.md").read_text(encoding="utf-8")
    for column in pq.read_table(tmp_path / "tasks.parquet").column_names:
        assert f"`{re.sub(r'stage[0-9]+_node', 'stage0_node', column)}`" in outputs, column
    for key, value in runs[0].summary.items():
        assert f"`{key}" in outputs, key
        if isinstance(value, dict) and key not in ("services", "utilisation", "uplink_utilisation"):
            for inner in value:
                assert f"`{key}.{inner}`" in outputs or f"`.{inner}`" in outputs, f"{key}.{inner}"


def test_each_yaml_format_has_its_own_page_and_name():
    for page, name in (
        ("simulation-scenario.md", "Simulation scenario"),
        ("routing-snapshot.md", "Routing snapshot"),
        ("runtime-cluster.md", "Runtime cluster"),
    ):
        assert (DOCS / "formats" / page).read_text(encoding="utf-8").startswith(f"# {name}")
