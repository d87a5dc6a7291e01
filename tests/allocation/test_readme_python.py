"""The README's Python example runs as written."""

import re
from pathlib import Path


def test_readme_python_examples_run(capsys):
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in printed] == [["fast", "optimal"], ["exact", "optimal"], ["sca", "optimal"]]
    assert printed[0].split()[2] == printed[1].split()[2]
