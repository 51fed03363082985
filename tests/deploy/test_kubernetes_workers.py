"""k8s/components/workers: an overlay that includes it runs the background workers in a
Deployment of their own (`shopgraph worker`) and its subgraphs with `--no-workers`; the
result validates and keeps the platform's rules (probes, resources, locked-down pods)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.support.kubernetes import K8S, OVERLAYS, SUBGRAPHS, Manifest, of_kind, renderer
from tests.support.tools import unavailable


def _render_with_workers(overlay: str, tmp_path: Path) -> list[Manifest]:
    """The overlay as a user would change it: `components:` added to its kustomization."""
    command = renderer()
    if command is None:
        unavailable("no kustomize renderer: install kubectl (it embeds kustomize) or kustomize")
    assert command is not None
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    kustomization = copy / "overlays" / overlay / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text() + "\ncomponents:\n  - ../../components/workers\n"
    )
    result = subprocess.run(
        [*command, str(copy / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_the_workers_component_moves_the_workers_into_their_own_deployment(
    overlay: str, tmp_path: Path
) -> None:
    manifests = _render_with_workers(overlay, tmp_path)
    version = kubernetes_validate.latest_version()
    for manifest in manifests:
        kubernetes_validate.validate(manifest, version, strict=True)
        if manifest["kind"] != "Namespace":
            assert manifest["metadata"]["namespace"] == OVERLAYS[overlay]

    deployments = of_kind(manifests, "Deployment")
    workers = deployments["workers"]
    template = workers["spec"]["template"]
    container = template["spec"]["containers"][0]
    assert container["args"] == ["worker"]
    assert container["name"] == "app"
    gateway_image = deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert container["image"] == gateway_image, "the overlay's image, tag and registry"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert template["spec"]["securityContext"]["runAsNonRoot"] is True
    assert template["metadata"]["annotations"]["prometheus.io/path"] == "/metrics"
    config = next(name for name in of_kind(manifests, "ConfigMap") if name.startswith("shopgraph"))
    assert {"configMapRef": {"name": config}} in container["envFrom"]
    assert "replicas" not in workers["spec"]
    assert (
        of_kind(manifests, "HorizontalPodAutoscaler")["workers"]["spec"]["scaleTargetRef"]["name"]
        == "workers"
    )
    assert "workers" in of_kind(manifests, "PodDisruptionBudget")
    assert "workers" not in of_kind(manifests, "Service"), "nothing calls a worker"
    policy = of_kind(manifests, "NetworkPolicy")["workers-metrics-from-prometheus"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= (
        template["metadata"]["labels"].items()
    )

    for name in SUBGRAPHS:
        args = deployments[name]["spec"]["template"]["spec"]["containers"][0]["args"]
        assert args == ["subgraph", name, "--no-workers"]
    assert deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "gateway"
    ]
