"""The k8s/ overlays rendered by a real kustomize, for the deploy checks.

`kustomize build` when on PATH, else `kubectl kustomize` (kubectl embeds kustomize). The
PyPI package named `kustomize` is an unrelated library for writing manifests in Python,
not a renderer.
"""

from __future__ import annotations

import copy
import functools
import subprocess
from typing import Any

import yaml

from tests.support.tools import REPO_ROOT, find_tool, unavailable

K8S = REPO_ROOT / "k8s"
OVERLAYS = {"dev": "shopgraph-dev", "prod": "shopgraph"}
SUBGRAPHS = ("users", "products", "carts", "orders", "payments")
Manifest = dict[str, Any]


@functools.cache
def renderer() -> tuple[str, ...] | None:
    kustomize = find_tool("kustomize")
    if kustomize is not None:
        version = subprocess.run(
            [kustomize, "version"], capture_output=True, text=True, check=False
        ).stdout
        if "v5" in version or "v4" in version:  # the Go kustomize, not the PyPI library
            return (kustomize, "build")
    kubectl = find_tool("kubectl")
    if kubectl is not None:
        return (kubectl, "kustomize")
    return None


@functools.cache
def _render_cached(overlay: str) -> tuple[Manifest, ...]:
    command = renderer()
    assert command is not None
    result = subprocess.run(
        [*command, str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def render(overlay: str) -> list[Manifest]:
    if renderer() is None:
        unavailable("no kustomize renderer: install kubectl (it embeds kustomize) or kustomize")
    return copy.deepcopy(list(_render_cached(overlay)))


def of_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}
