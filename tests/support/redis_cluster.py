"""A throwaway three-node Redis Cluster on free local ports, for the cluster-mode tests.

It needs `redis-server` and `redis-cli` (Redis 7); without them, or when the cluster
does not come up, the tests that need it are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

NODES = 3
START_SECONDS = 30.0


class ClusterUnavailable(Exception):
    pass


def _free_ports(count: int) -> list[int]:
    # A cluster node also listens on port + 10000 (the cluster bus): both must be free.
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + 10000 > 65535 or port in ports:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        ports.append(port)
    return ports


def _cli(port: int, *args: str) -> str:
    result = subprocess.run(
        ["redis-cli", "-p", str(port), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.stdout + result.stderr


@contextlib.contextmanager
def redis_cluster(directory: Path) -> Iterator[str]:
    """Start the nodes, join them into a cluster, yield a URL of one node; stop them all."""
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        raise ClusterUnavailable("redis-server and redis-cli are not on PATH")
    ports = _free_ports(NODES)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            node_dir = directory / str(port)
            node_dir.mkdir(parents=True)
            processes.append(
                subprocess.Popen(
                    [
                        "redis-server",
                        "--port", str(port),
                        "--bind", "127.0.0.1",
                        "--cluster-enabled", "yes",
                        "--cluster-config-file", str(node_dir / "nodes.conf"),
                        "--dir", str(node_dir),
                        "--save", "",
                        "--appendonly", "no",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
        deadline = time.monotonic() + START_SECONDS
        while not all("PONG" in _cli(port, "ping") for port in ports):
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise ClusterUnavailable("the redis-server nodes did not start")
            time.sleep(0.1)
        created = subprocess.run(
            [
                "redis-cli",
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if created.returncode != 0:
            raise ClusterUnavailable(f"redis-cli --cluster create failed: {created.stdout[-500:]}")
        while not all("cluster_state:ok" in _cli(port, "cluster", "info") for port in ports):
            if time.monotonic() > deadline:
                raise ClusterUnavailable("the cluster did not reach cluster_state:ok")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{ports[0]}/0"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
