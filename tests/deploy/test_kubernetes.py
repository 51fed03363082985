"""k8s/: the overlays render with kustomize, every object validates against the schema
of the newest Kubernetes release kubernetes-validate knows (strict: unknown fields are
errors), and the platform's rules hold for every workload.

Rendering uses a real kustomize: `kustomize build` when on PATH, else `kubectl kustomize`
(kubectl embeds kustomize). The PyPI package named `kustomize` is an unrelated library
for writing manifests in Python, not a renderer.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import kubernetes_validate
import pytest

from tests.support.kubernetes import OVERLAYS, SUBGRAPHS, Manifest, of_kind, render

SERVICES = ("gateway", *SUBGRAPHS)
# The storefront runs its own image (deploy/storefront.Dockerfile) on port 3000.
STOREFRONT = "storefront"
WORKLOADS = (*SERVICES, STOREFRONT)
SECRET = "shopgraph-secrets"
# Variables whose values are secrets: only ever read from the Secret, never written here.
SECRET_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "JWT_PRIVATE_KEY",
    "JWT_PUBLIC_KEY",
    "STRIPE_API_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "SENDGRID_API_KEY",
    "SENTRY_DSN",
    "STOREFRONT_REVALIDATE_SECRET",
    "SHOPGRAPH_CLIENT_KEY",
}


def _pod_specs(manifests: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    for manifest in manifests:
        name = f"{manifest['kind']}/{manifest['metadata']['name']}"
        if manifest["kind"] in ("Deployment", "Job"):
            yield name, manifest["spec"]["template"]["spec"]
        elif manifest["kind"] == "CronJob":
            yield name, manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]


@pytest.fixture(params=sorted(OVERLAYS))
def overlay(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def test_every_object_is_valid_for_the_newest_kubernetes(overlay: str) -> None:
    version = kubernetes_validate.latest_version()
    for manifest in render(overlay):
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            name = f"{manifest['kind']}/{manifest['metadata']['name']}"
            pytest.fail(f"{overlay}: {name} is invalid for Kubernetes {version}: {error}")


def test_the_validator_rejects_what_kubernetes_would() -> None:
    deployment = copy.deepcopy(of_kind(render("prod"), "Deployment")["gateway"])
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), True)


def test_everything_lives_in_the_overlays_namespace(overlay: str) -> None:
    manifests = render(overlay)
    namespaces = of_kind(manifests, "Namespace")
    assert set(namespaces) == {OVERLAYS[overlay]}
    labels = namespaces[OVERLAYS[overlay]]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    for manifest in manifests:
        if manifest["kind"] != "Namespace":
            assert manifest["metadata"]["namespace"] == OVERLAYS[overlay], manifest["kind"]


def test_a_deployment_and_a_service_for_every_workload(overlay: str) -> None:
    manifests = render(overlay)
    deployments = of_kind(manifests, "Deployment")
    services = of_kind(manifests, "Service")
    assert set(deployments) == set(WORKLOADS)
    assert set(services) == set(WORKLOADS)
    for name, deployment in deployments.items():
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = services[name]["spec"]["selector"]
        assert selector.items() <= pod_labels.items(), name
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert "replicas" not in deployment["spec"], f"{name}: the HPA owns the count"
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["name"] == "app", "release.yml runs `kubectl set image ... app=`"
        assert services[name]["spec"]["ports"][0]["targetPort"] == "http"
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        if name == STOREFRONT:
            assert "args" not in container, "the image's CMD starts the standalone server"
            assert ports == {"http": 3000}
            continue
        expected = ["gateway"] if name == "gateway" else ["subgraph", name]
        assert container["args"] == expected
        env = {item["name"]: item for item in container["env"]}
        assert env["OTEL_SERVICE_NAME"]["value"] == name
        assert ports == {"http": 8000}


def test_the_storefront_runs_its_own_image_against_the_gateway(overlay: str) -> None:
    manifests = render(overlay)
    deployments = of_kind(manifests, "Deployment")
    container = deployments[STOREFRONT]["spec"]["template"]["spec"]["containers"][0]
    gateway = deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].split(":")[0] == gateway["image"].split(":")[0] + "-storefront"
    assert container["image"].split(":")[1] == gateway["image"].split(":")[1], "one release"
    (config_name,) = [item["configMapRef"]["name"] for item in container["envFrom"]]
    assert re.fullmatch(r"storefront-config-[a-z0-9]{10}", config_name)
    config = of_kind(manifests, "ConfigMap")[config_name]["data"]
    assert config["SHOPGRAPH_GRAPHQL_URL"] == "http://gateway:8000/graphql"
    assert config["SHOPGRAPH_MEDIA_URL"].startswith("https://")
    assert config["PORT"] == "3000"
    (ingress,) = [
        i for i in of_kind(manifests, "Ingress").values() if i["metadata"]["name"] == STOREFRONT
    ]
    assert config["STOREFRONT_URL"] == f"https://{ingress['spec']['rules'][0]['host']}"
    env = {item["name"] for item in container["env"]}
    assert env == {"STOREFRONT_REVALIDATE_SECRET", "SHOPGRAPH_CLIENT_KEY"}
    # Next writes its cache under .next/cache: an emptyDir, like /tmp.
    spec = deployments[STOREFRONT]["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/app/.next/cache"]]


def test_every_deployment_has_probes_resources_and_a_locked_down_pod(overlay: str) -> None:
    for name, deployment in of_kind(render(overlay), "Deployment").items():
        template = deployment["spec"]["template"]
        spec = template["spec"]
        container = spec["containers"][0]
        resources = container["resources"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[kind]), f"{name}: {kind}"
        if name == STOREFRONT:
            # Rendered by the server itself, no gateway call; and no /metrics to scrape.
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                assert container[probe]["httpGet"] == {"path": "/robots.txt", "port": "http"}
            assert "prometheus.io/scrape" not in template["metadata"].get("annotations", {})
            continue
        assert container["livenessProbe"]["httpGet"]["path"] == "/health", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready", name
        assert container["startupProbe"]["httpGet"]["path"] == "/health", name
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/port"] == "8000", name
        assert annotations["prometheus.io/path"] == "/metrics", name


def test_every_pod_runs_unprivileged_on_a_read_only_root(overlay: str) -> None:
    manifests = render(overlay)
    specs = dict(_pod_specs(manifests))
    assert len(specs) == len(WORKLOADS) + 2  # and the migration Job and the backup CronJob
    for name, spec in specs.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] == 10001, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: /tmp must be an emptyDir"
            image = container["image"]
            assert re.fullmatch(r"[\w.-]+(:\d+)?/[\w./-]+:[\w.-]+", image), image
            assert not image.endswith(":latest"), name


def test_secrets_are_only_referenced(overlay: str) -> None:
    manifests = render(overlay)
    assert not of_kind(manifests, "Secret"), "secrets are created out of band"
    for name, spec in _pod_specs(manifests):
        for container in spec["containers"]:
            for item in container.get("env", []):
                if item["name"] in SECRET_VARIABLES:
                    assert "value" not in item, f"{name}: {item['name']} written in clear"
                    reference = item["valueFrom"]["secretKeyRef"]
                    assert reference == {**reference, "name": SECRET, "key": item["name"]}
            referenced = {item["name"] for item in container.get("env", [])}
            if name == f"Deployment/{STOREFRONT}":
                assert "STOREFRONT_REVALIDATE_SECRET" in referenced, name
                continue
            assert {"DATABASE_URL", "REDIS_URL", "JWT_PUBLIC_KEY"} <= referenced, name
    for config in of_kind(manifests, "ConfigMap").values():
        assert not SECRET_VARIABLES & set(config["data"])


def test_configuration_is_a_hashed_configmap_every_workload_reads(overlay: str) -> None:
    manifests = render(overlay)
    (name,) = [n for n in of_kind(manifests, "ConfigMap") if not n.startswith(STOREFRONT)]
    assert re.fullmatch(r"shopgraph-config-[a-z0-9]{10}", name)
    config = of_kind(manifests, "ConfigMap")[name]["data"]
    assert config["APP_ENV"] == "production"
    urls = dict(item.split("=", 1) for item in config["SHOPGRAPH_SUBGRAPH_URLS"].split(","))
    assert urls == {sub: f"http://{sub}:8000/graphql" for sub in SUBGRAPHS}
    for workload, spec in _pod_specs(manifests):
        if workload == f"Deployment/{STOREFRONT}":
            continue  # storefront-config: test_the_storefront_runs_its_own_image...
        for container in spec["containers"]:
            assert {"configMapRef": {"name": name}} in container["envFrom"], workload


def test_autoscaling_and_disruption_budgets_cover_every_deployment(overlay: str) -> None:
    manifests = render(overlay)
    deployments = of_kind(manifests, "Deployment")
    autoscalers = of_kind(manifests, "HorizontalPodAutoscaler")
    budgets = of_kind(manifests, "PodDisruptionBudget")
    for name, deployment in deployments.items():
        hpa = autoscalers[name]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
        if overlay == "prod":
            assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = budgets[name]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels.items(), name
        # At the HPA's minimum a drain can still evict one pod at a time.
        budget = budgets[name]["spec"]
        if "minAvailable" in budget:
            assert budget["minAvailable"] < hpa["spec"]["minReplicas"], name
        else:
            assert budget["maxUnavailable"] == 1, name


def test_the_ingresses_serve_graphql_webhooks_and_the_storefront_over_tls(overlay: str) -> None:
    manifests = render(overlay)
    ingresses = of_kind(manifests, "Ingress")
    assert set(ingresses) == {"shopgraph", STOREFRONT}
    expected = {
        "shopgraph": {
            "/graphql": ("gateway", {"name": "http"}),
            "/webhooks/stripe": ("payments", {"name": "http"}),
        },
        STOREFRONT: {"/": (STOREFRONT, {"name": "http"})},
    }
    services = of_kind(manifests, "Service")
    hosts = set()
    for name, ingress in ingresses.items():
        issuer = ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
        assert issuer == ("letsencrypt-staging" if overlay == "dev" else "letsencrypt-prod")
        (rule,) = ingress["spec"]["rules"]
        (tls,) = ingress["spec"]["tls"]
        assert tls["hosts"] == [rule["host"]]
        assert tls["secretName"]
        hosts.add(rule["host"])
        routes = {
            path["path"]: (path["backend"]["service"]["name"], path["backend"]["service"]["port"])
            for path in rule["http"]["paths"]
        }
        assert routes == expected[name]
        for service, port in routes.values():
            assert port["name"] in {p["name"] for p in services[service]["spec"]["ports"]}
    assert len(hosts) == 2, "the API and the storefront each have their own host"


# ----------------------------------------------------------------- network policies


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: dict[str, str] = field(default_factory=dict)


def _selects(selector: Manifest, labels: dict[str, str]) -> bool:
    if not all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value = labels.get(expression["key"])
        operator = expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression["values"]:
            return False
        if operator == "Exists" and value is None:
            return False
        if operator == "DoesNotExist" and value is not None:
            return False
    return True


def _peer_admits(peer: Manifest, source: Pod, namespace: str) -> bool:
    namespace_labels = {"kubernetes.io/metadata.name": source.namespace}
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], namespace_labels):
            return False
    elif source.namespace != namespace:
        return False
    return "podSelector" not in peer or _selects(peer["podSelector"], source.labels)


def allowed(manifests: list[Manifest], source: Pod, destination: Pod) -> bool:
    """Whether the NetworkPolicies let `source` reach `destination` on port http."""
    policies = [
        policy
        for policy in of_kind(manifests, "NetworkPolicy").values()
        if policy["metadata"]["namespace"] == destination.namespace
        and "Ingress" in policy["spec"]["policyTypes"]
        and _selects(policy["spec"]["podSelector"], destination.labels)
    ]
    if not policies:
        return True
    return any(
        any(_peer_admits(peer, source, destination.namespace) for peer in rule.get("from", []))
        and all(port["port"] in ("http", 8000) for port in rule.get("ports", []))
        for policy in policies
        for rule in policy["spec"].get("ingress", [])
    )


def test_subgraphs_are_reachable_only_from_the_gateway(overlay: str) -> None:
    manifests = render(overlay)
    namespace = OVERLAYS[overlay]
    pods = {
        name: Pod(namespace, deployment["spec"]["template"]["metadata"]["labels"])
        for name, deployment in of_kind(manifests, "Deployment").items()
    }
    ingress_controller = Pod("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
    prometheus = Pod("monitoring", {"app.kubernetes.io/name": "prometheus"})
    stranger = Pod("default", {"app": "anything"})
    neighbour = Pod(namespace, {"app.kubernetes.io/name": "debug"})

    assert allowed(manifests, ingress_controller, pods["gateway"])
    for name in SUBGRAPHS:
        assert allowed(manifests, pods["gateway"], pods[name]), name
        assert allowed(manifests, prometheus, pods[name]), name
        for source in (stranger, neighbour, *(pods[other] for other in SUBGRAPHS)):
            assert not allowed(manifests, source, pods[name]), f"{source} -> {name}"
        webhook = name == "payments"
        assert allowed(manifests, ingress_controller, pods[name]) is webhook, name
    assert not allowed(manifests, stranger, pods["gateway"])
    assert not allowed(manifests, pods["users"], pods["gateway"])


def test_the_storefront_is_reachable_from_the_ingress_and_reaches_only_the_gateway(
    overlay: str,
) -> None:
    manifests = render(overlay)
    namespace = OVERLAYS[overlay]
    pods = {
        name: Pod(namespace, deployment["spec"]["template"]["metadata"]["labels"])
        for name, deployment in of_kind(manifests, "Deployment").items()
    }
    ingress_controller = Pod("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
    stranger = Pod("default", {"app": "anything"})
    neighbour = Pod(namespace, {"app.kubernetes.io/name": "debug"})

    assert allowed(manifests, ingress_controller, pods[STOREFRONT])
    assert allowed(manifests, pods[STOREFRONT], pods["gateway"])
    for name in SUBGRAPHS:
        assert not allowed(manifests, pods[STOREFRONT], pods[name]), name
        assert not allowed(manifests, pods[name], pods[STOREFRONT]), name
    for source in (stranger, neighbour, pods["gateway"]):
        assert not allowed(manifests, source, pods[STOREFRONT]), source


# ------------------------------------------------------------- migrations, backups


def test_migrations_run_as_a_job_the_release_can_select(overlay: str) -> None:
    manifests = render(overlay)
    job = of_kind(manifests, "Job")["shopgraph-migrate"]
    assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migration"
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["containers"][0]["args"] == ["migrate", "up"]
    assert job["spec"]["backoffLimit"] <= 3
    assert job["spec"]["activeDeadlineSeconds"] > 0
    # What release.yml applies before the rollout (-l 'app.kubernetes.io/component in
    # (config,migration)'): the Job and the ConfigMap it reads, nothing else.
    selected = {
        f"{m['kind']}/{m['metadata']['name']}"
        for m in manifests
        if m["metadata"].get("labels", {}).get("app.kubernetes.io/component")
        in ("config", "migration")
    }
    (config,) = [name for name in of_kind(manifests, "ConfigMap") if name.startswith("shopgraph")]
    assert selected == {"Job/shopgraph-migrate", f"ConfigMap/{config}"}


def test_a_daily_backup_writes_pg_dumps_to_a_volume(overlay: str) -> None:
    manifests = render(overlay)
    cronjob = of_kind(manifests, "CronJob")["shopgraph-db-backup"]
    minute, hour, day, month, weekday = cronjob["spec"]["schedule"].split()
    assert (day, month, weekday) == ("*", "*", "*")
    assert minute.isdigit()
    assert hour.isdigit()
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert 'shopgraph db backup "$file"' in container["args"][0]
    assert "/backups/" in container["args"][0]
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    claim = volumes[mounts["/backups"]]["persistentVolumeClaim"]["claimName"]
    assert claim in of_kind(manifests, "PersistentVolumeClaim")
