"""The OpenTelemetry collector, Prometheus and Grafana configuration, and the metrics
contract (deploy/metrics.md) that the dashboard is written against."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from tests.support.tools import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "shopgraph.json"
SERVICES = ("gateway", "users", "products", "carts", "orders", "payments")
REQUIRED_PANELS = (
    "Request rate per service",
    "Error rate",
    "Latency p50 / p95 / p99",
    "DB pool usage",
    "Cache hit rate",
    "Active users",
    "Outbox backlog",
    "Event consumer lag",
)
_METRIC = re.compile(r"\bshopgraph_[a-z0-9_]+")
_CONTRACT_ROW = re.compile(r"^\| `(shopgraph_[a-z0-9_]+)` \| (\w+) \| ([^|]*) \|", re.MULTILINE)


def _yaml(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def _contract() -> dict[str, tuple[str, set[str]]]:
    """metrics.md's table: name -> (type, labels)."""
    rows = _CONTRACT_ROW.findall((DEPLOY / "metrics.md").read_text())
    return {name: (kind, set(re.findall(r"`(\w+)`", labels))) for name, kind, labels in rows}


def _exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_contract_names_the_metrics_the_issue_asks_for() -> None:
    contract = _contract()
    assert contract["shopgraph_requests_total"] == (
        "counter",
        {"service", "operation", "status"},
    )
    assert contract["shopgraph_request_duration_seconds"][0] == "histogram"
    assert {"service", "state"} <= contract["shopgraph_db_pool_connections"][1]
    assert {"entity", "result"} <= contract["shopgraph_cache_requests_total"][1]
    assert "shopgraph_active_users" in contract
    assert "domain" in contract["shopgraph_outbox_backlog"][1]
    assert {"stream", "group"} <= contract["shopgraph_stream_consumer_lag"][1]
    for name, (kind, labels) in contract.items():
        assert "service" in labels, name
        assert kind in ("counter", "gauge", "histogram"), name
        assert (kind == "counter") == name.endswith("_total"), name


def test_the_dashboard_has_every_panel_and_queries_only_contract_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    titles = [panel["title"] for panel in dashboard["panels"]]
    assert set(REQUIRED_PANELS) <= set(titles)
    assert len(set(titles)) == len(titles)
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(titles)

    contract = _contract()
    used = set()
    for expr in _exprs():
        for metric in _METRIC.findall(expr):
            base = re.sub(r"_(bucket|sum|count)$", "", metric)
            assert base in contract, f"{metric} is not in deploy/metrics.md"
            if base != metric:
                assert contract[base][0] == "histogram", metric
            used.add(base)
        for label in re.findall(r"by \(([^)]*)\)", expr):
            for name in (part.strip() for part in label.split(",")):
                assert name == "le" or any(name in labels for _, labels in contract.values())
    assert used == set(contract), f"contract metrics no panel shows: {set(contract) - used}"

    latency = next(p for p in dashboard["panels"] if p["title"].startswith("Latency"))
    quantiles = {
        quantile
        for target in latency["targets"]
        for quantile in re.findall(r"histogram_quantile\((0\.\d+)", target["expr"])
    }
    assert quantiles == {"0.50", "0.95", "0.99"}


def test_grafana_provisions_the_datasource_the_dashboard_uses() -> None:
    provisioning = DEPLOY / "grafana" / "provisioning"
    datasource = _yaml(provisioning / "datasources" / "prometheus.yml")["datasources"][0]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": datasource["uid"]}
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == datasource["uid"]
    provider = _yaml(provisioning / "dashboards" / "shopgraph.yml")["providers"][0]
    compose = _yaml(DEPLOY / "docker-compose.yml")["services"]["grafana"]
    mounts = dict(volume.split(":")[:2] for volume in compose["volumes"])
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"


def test_prometheus_discovers_pods_and_scrapes_the_compose_services() -> None:
    config = _yaml(DEPLOY / "prometheus" / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}

    pods = jobs["kubernetes-pods"]
    assert pods["kubernetes_sd_configs"] == [{"role": "pod"}]
    keep = pods["relabel_configs"][0]
    assert keep["action"] == "keep"
    assert keep["source_labels"] == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
    targets = {
        relabel.get("target_label")
        for relabel in pods["relabel_configs"]
        if "target_label" in relabel
    }
    assert {"__metrics_path__", "__address__", "namespace", "pod"} <= targets

    static = jobs["shopgraph"]["static_configs"][0]["targets"]
    assert static == [f"{service}:8000" for service in SERVICES]
    collector = _yaml(DEPLOY / "otel-collector.yaml")
    exporter_port = collector["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1]
    assert jobs["otel-collector"]["static_configs"][0]["targets"] == [
        f"otel-collector:{exporter_port}"
    ]


def test_the_collector_pipelines_use_only_declared_components() -> None:
    config = _yaml(DEPLOY / "otel-collector.yaml")
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["http"]["endpoint"].endswith(":4318")
    assert protocols["grpc"]["endpoint"].endswith(":4317")
    pipelines = config["service"]["pipelines"]
    assert {"traces", "metrics"} <= set(pipelines)
    for name, pipeline in pipelines.items():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline.get(kind, []):
                assert component in config[kind], f"{name}: {kind} {component} is not declared"
        # memory_limiter first, batch last: the collector's own recommendation.
        assert pipeline["processors"][0] == "memory_limiter"
        assert pipeline["processors"][-1] == "batch"
    for extension in config["service"]["extensions"]:
        assert extension in config["extensions"]
    compose = _yaml(DEPLOY / "docker-compose.yml")
    app_env = compose["x-shopgraph-env"]
    assert app_env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"


_DEFINED_METRIC = re.compile(
    r"\b(?:Counter|Gauge|Histogram|Summary|\w+MetricFamily)\s*[(,]\s*\"(shopgraph_\w+)\""
)


def test_every_metric_the_code_defines_is_in_the_contract() -> None:
    contract = _contract()
    defined = {
        (str(path.relative_to(REPO_ROOT)), name)
        for package in ("domains", "gateway", "shopgraph")
        for path in (REPO_ROOT / package).rglob("*.py")
        for name in _DEFINED_METRIC.findall(path.read_text())
    }
    undocumented = sorted(f"{path}: {name}" for path, name in defined if name not in contract)
    assert not undocumented, "add these to deploy/metrics.md (and a panel):\n" + "\n".join(
        undocumented
    )


def test_every_metric_of_the_contract_is_defined_by_the_code() -> None:
    """The other direction: a panel never queries a metric nothing exposes."""
    defined = {
        name
        for package in ("domains", "gateway", "shopgraph")
        for path in (REPO_ROOT / package).rglob("*.py")
        for name in _DEFINED_METRIC.findall(path.read_text())
    }
    missing = sorted(set(_contract()) - defined)
    assert not missing, f"deploy/metrics.md lists metrics no code defines: {missing}"


def test_the_event_panels_show_backlog_per_domain_and_lag_per_stream_and_group() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = {panel["title"]: panel for panel in dashboard["panels"]}
    backlog = [target["expr"] for target in panels["Outbox backlog"]["targets"]]
    lag = [target["expr"] for target in panels["Event consumer lag"]["targets"]]
    # Every replica of a domain reports the same number: max, never sum.
    assert backlog == ["max by (domain) (shopgraph_outbox_backlog)"]
    assert lag == ["max by (stream, group) (shopgraph_stream_consumer_lag)"]
