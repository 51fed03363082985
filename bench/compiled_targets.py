"""The targets of compiled execution, judged from one run's results (bench/run.py).

Every figure compared is from the same run: ours, the peers and the floor measured one
after another on the same machine, so a slower or busier machine moves them together.

1. Against the best peer: the in-process listing at least 2x the best peer gateway's
   req/s at every concurrency; the product page and search at least 1.5x.
2. Against the floor: the listing at most 3x the SQL floor's CPU per request and at most
   3x below its req/s, at 10 clients.
3. Over HTTP: ours over HTTP at least the best peer's req/s at 10 clients, with the
   gateway process at most 1 ms of CPU per listing and the products subgraph at most
   3.75 ms (half the 7.5 ms measured before compiled execution).
"""

from __future__ import annotations

import math
from typing import Any

from bench.judging import PEERS, SHORT, judged, load_row

BUSY_CLIENTS = 10
GATEWAY_CPU_MS = 1.0
PRODUCTS_CPU_MS = 3.75

Verdict = tuple[str, str, str]


def _rps(results: dict[str, Any], system: str, workload: str, clients: int) -> float | None:
    row = load_row(results, system, workload, clients)
    return None if row is None else float(row["rps"])


def _cpu(row: Any, process: str) -> float:
    value = row["cpu_ms_per_request"].get(process) if row is not None else None
    return float("nan") if value is None else float(value)


def _best_peer(results: dict[str, Any], workload: str, clients: int) -> tuple[str, float] | None:
    measured = {
        peer: value
        for peer in PEERS
        if (value := _rps(results, peer, workload, clients)) is not None
    }
    if not measured:
        return None
    best = max(measured, key=lambda peer: measured[peer])
    return best, measured[best]


def _against_peers(results: dict[str, Any]) -> list[Verdict]:
    out: list[Verdict] = []
    for workload, title, wanted in (
        ("listing", "listing", 2.0),
        ("product", "product page", 1.5),
        ("search", "search", 1.5),
    ):
        points: list[tuple[str, bool, str]] = []
        for clients in results["options"]["concurrency"]:
            ours = _rps(results, "ours_in_process", workload, clients)
            best = _best_peer(results, workload, clients)
            if ours is None or best is None:
                continue
            peer, theirs = best
            ratio = ours / theirs
            points.append(
                (
                    f"c={clients}",
                    ratio >= wanted,
                    f"c={clients}: {ours:.1f} vs {SHORT[peer]} {theirs:.1f} req/s, {ratio:.2f}x",
                )
            )
        if points:
            out.append(
                (f"1. in-process {title} >= {wanted:g}x the best peer's req/s", *judged(points))
            )
    return out


def _against_floor(results: dict[str, Any]) -> list[Verdict]:
    ours = load_row(results, "ours_in_process", "listing", BUSY_CLIENTS)
    floor = load_row(results, "floor", "listing", BUSY_CLIENTS)
    if ours is None or floor is None:
        return []
    ours_cpu, floor_cpu = _cpu(ours, "ours-in-process"), _cpu(floor, "floor")
    cpu_ratio = ours_cpu / floor_cpu if floor_cpu else float("nan")
    rps_ratio = float(floor["rps"]) / float(ours["rps"])
    points = [
        (
            "CPU",
            cpu_ratio <= 3,
            f"CPU per listing {ours_cpu:.1f} vs the floor's {floor_cpu:.1f} ms, {cpu_ratio:.1f}x",
        ),
        (
            "req/s",
            rps_ratio <= 3,
            f"{float(ours['rps']):.1f} vs the floor's {float(floor['rps']):.1f} req/s, "
            f"{rps_ratio:.1f}x below",
        ),
    ]
    return [(f"2. listing within 3x of the SQL floor at c={BUSY_CLIENTS}", *judged(points))]


def _over_http(results: dict[str, Any]) -> list[Verdict]:
    ours = load_row(results, "ours_http", "listing", BUSY_CLIENTS)
    best = _best_peer(results, "listing", BUSY_CLIENTS)
    if ours is None or best is None:
        return []
    peer, theirs = best
    gateway, products = _cpu(ours, "ours-http"), _cpu(ours, "products")
    points = [
        (
            "req/s",
            float(ours["rps"]) >= theirs,
            f"{float(ours['rps']):.1f} vs {SHORT[peer]} {theirs:.1f} req/s",
        ),
        (
            "gateway CPU",
            not math.isnan(gateway) and gateway <= GATEWAY_CPU_MS,
            f"gateway {gateway:.2f} ms of CPU per listing (at most {GATEWAY_CPU_MS:g})",
        ),
        (
            "products CPU",
            not math.isnan(products) and products <= PRODUCTS_CPU_MS,
            f"products subgraph {products:.2f} ms (at most {PRODUCTS_CPU_MS:g})",
        ),
    ]
    return [(f"3. listing over HTTP at c={BUSY_CLIENTS}", *judged(points))]


def compiled_targets(results: dict[str, Any]) -> list[Verdict]:
    """(target, verdict, figures) for each target this run measured."""
    return [*_against_peers(results), *_against_floor(results), *_over_http(results)]
