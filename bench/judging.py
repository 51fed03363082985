"""Reading one run's results (bench/run.py's results.json) to judge a target."""

from __future__ import annotations

from typing import Any

# Each system measured, by its key in the results, with its short title.
SHORT = {
    "floor": "SQL floor",
    "ours_in_process": "ours in-process",
    "ours_http": "ours over HTTP",
    "apollo": "Apollo Gateway",
    "hive": "Hive Gateway",
    "hive_router": "Hive + router runtime",
    "grafbase": "Grafbase",
}
PEERS = ("apollo", "hive", "hive_router", "grafbase")


def load_row(results: dict[str, Any], system: str, workload: str, clients: int) -> Any:
    """The load measurement of `system` on `workload` at `clients`, or None."""
    for row in results["load"]:
        if (row["system"], row["workload"], row["concurrency"]) == (system, workload, clients):
            return row
    return None


def judged(points: list[tuple[str, bool, str]]) -> tuple[str, str]:
    """(verdict, figures) of a target judged at each point (label, held, figures):
    met only where every point holds, else where it does."""
    held = [label for label, ok, _ in points if ok]
    if len(held) == len(points):
        verdict = "met"
    elif not held:
        verdict = "not met"
    else:
        verdict = "met at " + ", ".join(held) + " only"
    return verdict, "; ".join(text for _, _, text in points)
