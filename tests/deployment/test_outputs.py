"""``mcfn run --deployment``: policies compared on the same arrivals, every new column and summary key documented,
the plot written, and one-line errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from tests.conftest import assert_one_line_error, run_cli
from tests.deployment.test_sim_deployment import tight_scenario

DOCS = Path(__file__).parents[2] / "docs"


def test_run_compares_deployment_policies_and_documents_every_output(capsys, tmp_path):
    scenario = tmp_path / "scenario.yaml"
    document = tight_scenario("static").model_copy(update={"duration_s": 3.0}).model_dump(mode="json")
    scenario.write_text(yaml.safe_dump(document), encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", str(scenario), "--policy", "nearest-edge", "--deployment", "static", "--deployment", "lru"]
    code, stdout, _ = run_cli(capsys, *args, "--seeds", "2", "--out", str(out), "--json")
    assert code == 0
    summary = json.loads(stdout)
    assert list(summary["policies"]) == ["nearest-edge / static", "nearest-edge / lru"]
    runs = summary["policies"]["nearest-edge / lru"]["runs"]
    assert runs[0]["tasks"]["arrived"] == summary["policies"]["nearest-edge / static"]["runs"][0]["tasks"]["arrived"]
    assert (out / "deployment.png").stat().st_size > 0
    outputs = (DOCS / "outputs.md").read_text(encoding="utf-8")
    for column in pq.read_table(out / "tasks.parquet").column_names:
        assert f"`{re.sub(r'stage[0-9]+_node', 'stage0_node', column)}`" in outputs, column
    for key in runs[0]["deployment"]:
        assert f"`deployment.{key}`" in outputs or f"`.{key}`" in outputs, key


def test_an_unknown_deployment_policy_is_one_line(capsys):
    code, _, err = run_cli(capsys, "run", "--deployment", "fifo", "--duration-s", "1")
    assert_one_line_error(code, err, "fifo")
