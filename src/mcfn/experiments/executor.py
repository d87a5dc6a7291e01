"""Independent runs of an experiment, executed in local processes or on a Ray cluster, cached by their inputs.

A :class:`Job` is a module-level function and its arguments; its :attr:`Job.key` is the SHA-256 of the canonical
JSON of the function's qualified name and the arguments, so the same inputs give the same key on any machine and
in any process. :func:`execute` runs every job whose result the :class:`ResultCache` does not hold yet — in this
process (``workers=1``), in ``workers`` spawned processes, or as Ray tasks on the existing cluster at
``ray_address`` (https://docs.ray.io; one task per job, placed by Ray) — and stores each result as it arrives, so a
sweep that stopped resumes where it stopped. Results come back in the jobs' order whatever ran them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcfn.experiments.workers import worker_pool

#: ``on_progress(done, total)``: called once with the cached count, then after every job that ran.
OnProgress = Callable[[int, int], None]


def input_hash(*parts: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``parts`` (dataclasses as dicts, keys sorted)."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        if hasattr(value, "value"):  # an enum
            return value.value
        raise TypeError(f"cannot hash {type(value).__name__} as a job input")

    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Job:
    """One independent run: ``function(*args)``, ``function`` importable by name (so workers can run it)."""

    function: Callable[..., Any]
    args: tuple[Any, ...]

    @property
    def key(self) -> str:
        """The hash of the function's qualified name and the arguments (:func:`input_hash`)."""
        return input_hash(f"{self.function.__module__}.{self.function.__qualname__}", self.args)

    def run(self) -> Any:
        return self.function(*self.args)


class ResultCache:
    """Results by job key, one pickle file each under ``directory``; ``None`` as directory caches nothing."""

    def __init__(self, directory: Path | None) -> None:
        self._directory = directory

    def _path(self, key: str) -> Path:
        assert self._directory is not None
        return self._directory / key[:2] / f"{key}.pickle"

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, result)`` when ``key`` is cached, else ``(False, None)``."""
        if self._directory is None:
            return False, None
        try:
            with self._path(key).open("rb") as handle:
                return True, pickle.load(handle)
        except FileNotFoundError:
            return False, None

    def put(self, key: str, result: Any) -> None:
        """Store ``result`` atomically (a stopped sweep never leaves half a file)."""
        if self._directory is None:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as handle:
            pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)


def execute(
    jobs: Sequence[Job],
    *,
    workers: int = 1,
    ray_address: str | None = None,
    cache: ResultCache | None = None,
    on_progress: OnProgress | None = None,
) -> list[Any]:
    """Every job's result, in the jobs' order; cached ones are read, the rest run (see the module docstring).

    ``workers``: local processes (1: this process); ignored with ``ray_address`` (Ray places the tasks on the
    cluster's CPUs). Raises ``ValueError`` for ``workers < 1`` or a Ray cluster that cannot be joined.
    """
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    cache = cache or ResultCache(None)
    keys = [job.key for job in jobs]
    results: dict[int, Any] = {}
    for i, key in enumerate(keys):
        hit, result = cache.get(key)
        if hit:
            results[i] = result
    pending = [i for i in range(len(jobs)) if i not in results]
    total = len(jobs)
    if on_progress is not None:
        on_progress(len(results), total)

    def finished(i: int, result: Any) -> None:
        cache.put(keys[i], result)
        results[i] = result
        if on_progress is not None:
            on_progress(len(results), total)

    if pending:
        if ray_address is not None:
            _on_ray(ray_address, jobs, pending, finished)
        elif workers == 1 or len(pending) == 1:
            for i in pending:
                finished(i, jobs[i].run())
        else:
            with worker_pool(min(workers, len(pending))) as pool:  # spawned; stopped on SIGTERM to the parent
                for i, result in pool.imap_unordered(_run, [(i, jobs[i]) for i in pending]):
                    finished(i, result)
    return [results[i] for i in range(total)]


def _run(indexed: tuple[int, Job]) -> tuple[int, Any]:
    i, job = indexed
    return i, job.run()


def _on_ray(address: str, jobs: Sequence[Job], pending: list[int], finished: Callable[[int, Any], None]) -> None:
    """Run ``pending`` jobs as Ray tasks on the cluster at ``address``; the workers import this mcfn."""
    with ray_cluster(address) as ray:
        remote = ray.remote(Job.run)
        refs = {remote.remote(jobs[i]): i for i in pending}
        waiting = list(refs)
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            finished(refs[done[0]], ray.get(done[0]))


@contextlib.contextmanager
def ray_cluster(address: str) -> Iterator[Any]:
    """The ``ray`` module, joined to the cluster at ``address`` (``auto``, ``host:port``; ``local`` starts one on this
    machine) unless this process has joined one already, with workers that import this mcfn; left at the end by
    whoever joined it."""
    try:
        import ray
    except ImportError:
        raise ValueError("--ray-address needs Ray: pip install 'mcfn[ray]'") from None
    joined = not ray.is_initialized()
    if joined:
        import mcfn

        package = str(Path(mcfn.__file__).resolve().parent.parent)
        try:
            ray.init(
                address=None if address == "local" else address,
                include_dashboard=False,
                log_to_driver=False,
                runtime_env={"env_vars": {"PYTHONPATH": package}},
            )
        except (ConnectionError, RuntimeError) as exc:
            raise ValueError(f"cannot join the Ray cluster at {address}: {exc}") from None
    try:
        yield ray
    finally:
        if joined:
            ray.shutdown()
