"""The per-task records of a comparison as a file: one row per task of every run (policy and seed).

Parquet (Apache Arrow's columnar file, through pyarrow) by default: typed columns, names stored once per run as
dictionaries, compressed — a tenth of the CSV's size, and read back by pandas, polars, DuckDB or pyarrow with its
types. CSV on request, for a spreadsheet. A value that does not apply (no latency for a failed task, no node for a
stage not run) is null (an empty CSV cell). The columns are documented in ``docs/outputs.md``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from mcfn.orchestration.placement import PLACES
from mcfn.sim.energy import ENERGY_COLUMNS
from mcfn.sim.records import STATUS_NAMES

if TYPE_CHECKING:
    import pyarrow as pa

    from mcfn.sim.run import RunResult

TasksFormat = Literal["parquet", "csv"]
TASKS_FORMATS: tuple[TasksFormat, ...] = ("parquet", "csv")

#: Float columns, in the order they are written after ``reason``.
_TIMES = ("arrival_s", "end_s", "latency_s", "upload_s", "compute_s")
#: Columns whose values seldom repeat: stored byte-stream split (each byte of the floats together, which zstd
#: compresses), not as dictionaries; every other column is dictionary encoded.
_UNIQUE = (*_TIMES, "utility", *ENERGY_COLUMNS)
#: Rows per Parquet row group (each group holds its own dictionaries), and per batch written: a batch of a run's
#: rows is made, written and let go before the next (about 300 bytes a row meanwhile).
ROW_GROUP = 1 << 19


def tasks_file_name(tasks_format: TasksFormat) -> str:
    """``tasks.parquet`` or ``tasks.csv``."""
    return f"tasks.{tasks_format}"


def write_tasks(path: Path, runs: Sequence[RunResult], tasks_format: TasksFormat = "parquet") -> None:
    """Write every task of ``runs`` to ``path`` as Parquet or CSV, :data:`ROW_GROUP` rows of a run at a time (a
    run's derived columns are computed for those rows alone: :class:`~mcfn.sim.columns.TaskColumns`)."""
    import pyarrow as pa
    import pyarrow.csv
    import pyarrow.parquet

    if tasks_format not in TASKS_FORMATS:
        raise ValueError(f"unknown tasks format {tasks_format!r}; valid: {', '.join(TASKS_FORMATS)}")
    stages = max(run.columns["stage_node"].shape[1] for run in runs)
    schema = run_table(runs[0], stages, slice(0, 0)).schema
    groups = (run_table(run, stages, rows) for run in runs for rows in _row_groups(run.columns.rows))
    if tasks_format == "parquet":
        with pa.parquet.ParquetWriter(
            path,
            schema,
            compression="zstd",
            use_dictionary=[name for name in schema.names if name not in _UNIQUE],
            use_byte_stream_split=list(_UNIQUE),
        ) as writer:
            for table in groups:
                writer.write_table(table, row_group_size=ROW_GROUP)
                del table  # a batch's arrays are NumPy's (no copy): let them go before the next batch is made
        return
    plain = pa.schema([field.with_type(_plain(field.type)) for field in schema])
    with pa.csv.CSVWriter(path, plain) as writer:
        for table in groups:
            writer.write_table(table.cast(plain))
            del table


def _row_groups(tasks: int) -> Iterator[slice]:
    """The rows of a run's row groups (one, empty, for a run of no task)."""
    for start in range(0, max(tasks, 1), ROW_GROUP):
        yield slice(start, min(start + ROW_GROUP, tasks))


def _plain(kind: pa.DataType) -> pa.DataType:
    import pyarrow as pa

    return pa.string() if pa.types.is_dictionary(kind) else kind


def run_table(run: RunResult, stages: int, rows: slice) -> pa.Table:
    """One run's tasks at ``rows`` as an Arrow table; ``stages`` stage-node columns (null past the run's own
    stages)."""
    import pyarrow as pa

    def c(name: str) -> np.ndarray:
        return run.columns.part(name, rows)

    n = len(range(*rows.indices(run.columns.rows)))
    options = np.array(run.options, dtype=object).reshape(-1, 3)
    stage_node = c("stage_node")
    helper = c("helper")
    columns: dict[str, pa.Array] = {
        "policy": _names(np.zeros(n, dtype=np.int32), [run.policy]),
        "seed": pa.array(np.full(n, run.seed, dtype=np.int64)),
        "task": pa.array(np.arange(rows.start, rows.start + n, dtype=np.int64)),
        "service": _names(c("service"), run.services),
        "variant": _names(c("option"), options[:, 0]),
        "exit": _names(c("option"), options[:, 1]),
        "terminal": pa.array(c("terminal")),
        "ingress": _names(c("ingress"), run.stations),
        "delivered": _names(c("delivered"), run.stations),
        "status": _names(c("status"), STATUS_NAMES),
        "reason": _names(c("reason"), run.reasons),
        **{name: _floats(c(name)) for name in _TIMES},
        "met_deadline": pa.array(c("met_deadline"), type=pa.bool_()),
        "compression": _floats(c("compression")),
        "compute_share": _floats(c("compute_share")),
        "accuracy": _floats(c("accuracy")),
        "accuracy_source": _names(c("option"), options[:, 2]),
        "utility": _floats(c("utility")),
        "reroutes": pa.array(c("reroutes")),
        "placement": _names(c("placement"), PLACES),
        "helper": pa.array(helper, mask=helper < 0),
        **{name: _floats(c(name)) for name in ENERGY_COLUMNS},
    }
    for k in range(stages):
        codes = stage_node[:, k] if k < stage_node.shape[1] else np.full(n, -1, dtype=np.int16)
        columns[f"stage{k}_node"] = _names(codes, run.nodes)
    if "cold_start_s" in run.columns:  # a run with a deployment (mcfn.sim.deployment)
        columns["cold_start_s"] = _floats(c("cold_start_s"))
        columns["cold_starts"] = pa.array(c("cold_starts"))
    return pa.table(columns)


def _names(codes: np.ndarray, names: Sequence[str] | np.ndarray) -> pa.DictionaryArray:
    """Codes into ``names`` as a dictionary column; a code of -1 (none) is null."""
    import pyarrow as pa

    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(names), type=pa.string()))


def _floats(values: np.ndarray) -> pa.Array:
    import pyarrow as pa

    return pa.array(values.astype(np.float64), mask=np.isnan(values))  # NaN (not applicable) as null
