"""Why a task costs more on a large network: instructions and cache misses per task, under cachegrind.

``benchmarks/sim.py --scale`` measures tasks per wall second from 300 terminals in 7 cells to 100,000 in 1,027 at
equal load per cell. This script asks where the difference comes from. It runs the smallest and the largest row of
that table under Valgrind's cachegrind (Nethercote and Seward, "Valgrind: a framework for heavyweight dynamic
binary instrumentation", PLDI 2007), which counts the instructions executed and simulates a first-level data cache
and a last-level cache: here this machine's L1d and its per-core L2 (read from sysfs; ``--l1d`` and ``--l2``
override), so a "last-level" miss is a load that leaves the core's private caches. Each row runs twice, until about
``N`` and about ``2 N`` tasks have arrived, with the same seed: the second run repeats the first and goes on, so the
difference of the two counts belongs to the ``N`` tasks in between. Imports, the world's build and the warm-up of
the first ``N`` tasks cancel out.

Printed per task for each row: instructions, L1d misses and L2 misses (reads and writes), and the wall-clock
microseconds per task of the same row run natively (the same two lengths, each in a fresh process, not under
Valgrind, differenced alike). The last line divides the extra wall time per task of the large row by its extra L2
misses per task: the nanoseconds that each extra miss would have to cost to explain the whole gap. Cachegrind does
not model hardware prefetching, so streaming reads (a mobility step reads every terminal's arrays in order) count
as misses that cost little on the hardware.

The four cachegrind runs take about 10 minutes each, two at a time (``--jobs``). Needs ``valgrind`` on the PATH.

Usage: ``python benchmarks/scale_cache.py [--tasks N] [--jobs J] [--l1d SIZE,ASSOC,LINE] [--l2 SIZE,ASSOC,LINE]
[--json]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sim as bench  # benchmarks/sim.py: the scaling rows

#: The rows compared: (terminals, rings), the first and the last of ``benchmarks/sim.py``'s scaling table.
ROWS = (bench.SCALE_ROWS[0], bench.SCALE_ROWS[-1])
#: The cachegrind events compared: instructions, data reads and writes, and their L1 and last-level misses (not the
#: instruction fetches' misses: per task, those of L1 do not grow with the network, and last-level ones are few).
EVENTS = ("Ir", "Dr", "D1mr", "DLmr", "Dw", "D1mw", "DLmw")


def cache_geometry(level: int, kind: str) -> str:
    """``SIZE,ASSOC,LINE`` (bytes) of this machine's cache ``level`` of ``kind`` (``Data`` or ``Unified``), from
    sysfs; raises ``ValueError`` where sysfs does not describe it."""
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        fields = {
            name: (index / name).read_text().strip()
            for name in ("level", "type", "size", "ways_of_associativity", "coherency_line_size")
        }
        if int(fields["level"]) == level and fields["type"] == kind:
            size = fields["size"]
            size_bytes = int(size.rstrip("KM")) * {"K": 1024, "M": 1024**2}.get(size[-1], 1)
            return f"{size_bytes},{fields['ways_of_associativity']},{fields['coherency_line_size']}"
    raise ValueError(f"sysfs describes no level-{level} {kind.lower()} cache: give it with --l1d / --l2")


def geometry(text: str) -> str:
    """``text`` if it is a cache geometry cachegrind accepts: ``SIZE,ASSOC,LINE``, positive integers, whose number of
    sets ``SIZE / (ASSOC * LINE)`` is a whole power of two; raises ``ValueError`` otherwise."""
    try:
        size, assoc, line = (int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"a cache is SIZE,ASSOC,LINE in bytes (e.g. 2097152,16,64), not {text!r}") from None
    sets, left = divmod(size, assoc * line) if min(size, assoc, line) > 0 else (0, 1)
    if left or sets < 1 or sets & (sets - 1):
        raise ValueError(f"cache {text}: SIZE / (ASSOC * LINE) must be a whole power of two")
    return text


def read_summary(path: Path) -> dict[str, int]:
    """The totals of a cachegrind output file, by event name."""
    names: list[str] = []
    for line in path.read_text().splitlines():
        if line.startswith("events:"):
            names = line.split()[1:]
        elif line.startswith("summary:"):
            return dict(zip(names, map(int, line.split()[1:]), strict=True))
    raise ValueError(f"{path}: no summary line (did cachegrind finish?)")


def per_task(short: dict[str, int], long: dict[str, int], tasks_short: int, tasks_long: int) -> dict[str, float]:
    """Each event per task of the tasks that the long run simulated beyond the short one."""
    extra = tasks_long - tasks_short
    if extra <= 0:
        raise ValueError(f"the long run has {tasks_long:,} tasks, not more than the short run's {tasks_short:,}")
    return {event: (long[event] - short[event]) / extra for event in EVENTS}


def row_tasks(terminals: int, rings: int, tasks: float) -> None:
    """Child mode: simulate one scaling row (``benchmarks/sim.py``'s run of it) and print the tasks that arrived."""
    print(json.dumps({"tasks": bench.scale_run(terminals, rings, tasks, "equal-bandwidth")["tasks"]}))


def cachegrind(terminals: int, rings: int, tasks: float, l1d: str, l2: str, out: Path) -> tuple[dict[str, int], int]:
    """One row under cachegrind: its totals and the tasks that arrived."""
    command = [
        "valgrind", "--tool=cachegrind", "--cache-sim=yes", f"--D1={l1d}", f"--LL={l2}",
        f"--cachegrind-out-file={out}", sys.executable, __file__, "--row", str(terminals), str(rings), str(tasks),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"cachegrind failed on the {terminals:,}-terminal row: {last}")
    return read_summary(out), json.loads(done.stdout.strip().splitlines()[-1])["tasks"]


def native(terminals: int, rings: int, tasks: float) -> tuple[float, float]:
    """Wall seconds per task of the tasks that a native run to ``2 tasks`` simulates beyond one to ``tasks`` (each
    in a fresh process, as ``benchmarks/sim.py --scale`` runs a row), and the long run's tasks per wall second."""
    context = multiprocessing.get_context("spawn")
    runs = []
    for n in (tasks, 2 * tasks):
        with context.Pool(1) as pool:
            runs.append(pool.apply(bench.scale_run, (terminals, rings, n, "equal-bandwidth")))
    short, long = runs
    return (long["wall_s"] - short["wall_s"]) / (long["tasks"] - short["tasks"]), long["tasks_per_s"]


def measure(tasks: float, jobs: int, l1d: str, l2: str) -> list[dict[str, float]]:
    """Per-task counts (cachegrind) and native wall microseconds per task of each row of :data:`ROWS`."""
    arms = [(t, r, n) for t, r in ROWS for n in (tasks, 2 * tasks)]
    results: dict[tuple[int, int, float], tuple[dict[str, int], int]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch, ThreadPoolExecutor(jobs) as pool:
        futures = {
            arm: pool.submit(cachegrind, *arm, l1d, l2, Path(scratch) / f"cachegrind.{arm[0]}.{arm[2]:.0f}.out")
            for arm in arms
        }
        for k, (arm, future) in enumerate(futures.items(), start=1):
            results[arm] = future.result()
            print(f"[{k}/{len(arms)}] cachegrind, {arm[0]:,} terminals, {results[arm][1]:,} tasks "
                  f"({time.perf_counter() - started:,.0f} s)", file=sys.stderr, flush=True)  # fmt: skip
    rows = []
    for terminals, rings in ROWS:
        (short, n_short), (long, n_long) = results[(terminals, rings, tasks)], results[(terminals, rings, 2 * tasks)]
        wall_s, tasks_per_s = native(terminals, rings, tasks)
        print(f"native, {terminals:,} terminals: {tasks_per_s:,.0f} tasks/s", file=sys.stderr, flush=True)
        rows.append(
            {"terminals": terminals, "cells": bench.cells(rings), "tasks": n_long - n_short}
            | per_task(short, long, n_short, n_long)
            | {"wall_us_per_task": 1e6 * wall_s, "tasks_per_s": tasks_per_s}
        )
    return rows


def check_tasks(tasks: float) -> None:
    """Raise unless ``2 tasks`` simulates longer than ``tasks`` on every row (a row simulates at least 5 s)."""
    for terminals, rings in ROWS:
        short, long = (bench.scale_scenario(terminals, rings, n, "equal-bandwidth") for n in (tasks, 2 * tasks))
        if long.duration_s <= short.duration_s:
            raise ValueError(
                f"--tasks {tasks:,.0f} is too few: the {terminals:,}-terminal row simulates at least "
                f"{short.duration_s:g} s either way (try --tasks 200000)"
            )


def print_rows(rows: list[dict[str, float]], l1d: str, l2: str) -> None:
    """The per-task table, and the gap's cost per extra L2 miss."""
    print(f"\nper task, steady state (cachegrind: L1d {l1d}, last level = L2 {l2}; SIZE,ASSOC,LINE in bytes)")
    print(f"{'terminals':>9} {'cells':>6} {'tasks':>9} {'instructions':>12} {'L1d misses':>10} {'L2 misses':>9} "
          f"{'L2 rd':>7} {'L2 wr':>7} {'wall (us)':>9}")  # fmt: skip
    for row in rows:
        print(
            f"{row['terminals']:>9,} {row['cells']:>6,} {row['tasks']:>9,} {row['Ir']:>12,.0f} "
            f"{row['D1mr'] + row['D1mw']:>10,.1f} {row['DLmr'] + row['DLmw']:>9,.1f} {row['DLmr']:>7,.1f} "
            f"{row['DLmw']:>7,.1f} {row['wall_us_per_task']:>9,.2f}"
        )
    small, large = rows[0], rows[-1]
    misses = (large["DLmr"] + large["DLmw"]) - (small["DLmr"] + small["DLmw"])
    gap_us = large["wall_us_per_task"] - small["wall_us_per_task"]
    print(f"instructions per task: {large['Ir'] / small['Ir']:.2f}x; L2 misses per task: "
          f"{(large['DLmr'] + large['DLmw']) / (small['DLmr'] + small['DLmw']):.1f}x; wall per task: "
          f"{large['wall_us_per_task'] / small['wall_us_per_task']:.2f}x")  # fmt: skip
    if misses > 0:
        print(f"the wall gap, {gap_us:.2f} us per task, is {1e3 * gap_us / misses:.0f} ns per extra L2 miss")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=float, default=2e5, help="N: each row runs to N and to 2 N tasks")
    parser.add_argument("--jobs", type=int, default=2, help="cachegrind runs at a time (each one core)")
    parser.add_argument("--l1d", help="the simulated L1 data cache, SIZE,ASSOC,LINE (default: this machine's)")
    parser.add_argument("--l2", help="the simulated last level, SIZE,ASSOC,LINE (default: this machine's L2)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--row", nargs=3, metavar=("TERMINALS", "RINGS", "TASKS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.row:
        row_tasks(int(args.row[0]), int(args.row[1]), float(args.row[2]))
        return 0
    try:
        if args.tasks < 1 or args.jobs < 1:
            raise ValueError("--tasks and --jobs must be at least 1")
        l1d = geometry(args.l1d or cache_geometry(1, "Data"))
        l2 = geometry(args.l2 or cache_geometry(2, "Unified"))
        check_tasks(args.tasks)
        if shutil.which("valgrind") is None:
            raise ValueError("valgrind is not on the PATH (install it, e.g. apt install valgrind)")
        rows = measure(args.tasks, args.jobs, l1d, l2)
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"l1d": l1d, "l2": l2, "rows": rows}, indent=2))
    else:
        print_rows(rows, l1d, l2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
