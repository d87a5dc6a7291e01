"""The README's Python example runs as written (from the repository's root, as its paths are)."""

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_readme_python_examples_run(capsys, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    methods = [line.split() for line in printed if line.split()[:1] in (["fast"], ["exact"], ["sca"])]
    assert [words[:2] for words in methods] == [["fast", "optimal"], ["exact", "optimal"], ["sca", "optimal"]]
    assert methods[0][2] == methods[1][2]
    simulated = [line.split() for line in printed if line.split()[:1] in (["utility-aware"], ["nearest-edge"])]
    assert len(simulated) == 4  # two policies on two seeds
