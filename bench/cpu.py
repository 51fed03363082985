"""CPU time spent, per kind of process, for figures such as "CPU milliseconds per
checkout": on a machine the bench saturates, throughput mostly says how noisy the machine
was, while the CPU a unit of work costs barely moves between runs.

Linux /proc only, and only for a localhost run: Postgres and Redis are counted by
process name, so anything else of theirs running on the machine is counted too."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.harness import Child, process_cpu_seconds

SERVERS = {"postgres": "postgres", "redis-server": "redis"}


def _servers() -> dict[str, float]:
    spent: dict[str, float] = defaultdict(float)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            kind = SERVERS.get(Path(f"/proc/{pid}/comm").read_text().strip())
            if kind is not None:
                spent[kind] += process_cpu_seconds(pid)
        except OSError:
            continue  # ended meanwhile
    return spent


def cpu_seconds_by_kind(
    started: Sequence[Child], kind_of: Callable[[str], str | None]
) -> dict[str, float]:
    """CPU seconds so far of each started process whose name `kind_of` maps to a kind
    (None leaves it out), added up by kind, and of the Postgres and Redis servers."""
    spent = _servers()
    for child in started:
        kind = kind_of(child.name)
        if kind is not None:
            spent[kind] += child.cpu_seconds()
    return dict(spent)


def milliseconds_per_unit(
    before: dict[str, float], after: dict[str, float], units: int
) -> dict[str, float]:
    """CPU milliseconds per unit of work by kind, and their total."""
    per_unit = {
        kind: round(1000 * (after[kind] - before.get(kind, 0.0)) / units, 1) for kind in after
    }
    per_unit["total"] = round(sum(per_unit.values()), 1)
    return per_unit


def reference_loop_ms(rounds: int = 3) -> float:
    """CPU milliseconds this machine takes for a fixed pure-Python loop (ten million
    additions), the fastest of `rounds`: how fast the machine ran around a run, for
    comparing CPU figures between runs on a host whose speed varies (a shared VM's
    neighbours). Lower is faster."""
    fastest = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        total = 0
        for number in range(10_000_000):
            total += number
        fastest = min(fastest, time.process_time() - started)
    return round(fastest * 1000, 1)
