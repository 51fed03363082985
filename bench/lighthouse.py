"""Lighthouse on the storefront's production build: the home page, a category listing and
a product page, in Debian's Chromium.

`shopgraph serve` on a fresh database (demo data and its pictures) with a private Redis,
`npm run build` of storefront/ (standalone output) copied aside and started as in
production (so that another build of storefront/ meanwhile cannot change it), each page
requested once to warm Next's cache, then Lighthouse (npm, pinned in tools/lighthouse;
installed on first use) `--runs` times per page with its default mobile profile
(simulated slow 4G and a 4x slower CPU). The run with the median performance score is
reported: the four category scores, Largest Contentful Paint and the bytes transferred,
plus every audit that kept a category below 100. Writes bench/results/lighthouse.md and
lighthouse.json, and prints the table.

    python -m bench.lighthouse [--runs 3] [--skip-build] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from bench.harness import (
    ROOT,
    Child,
    bench_database,
    children,
    free_port,
    postgres_server_url,
    python_env,
    shopgraph,
    spawn,
)
from shopgraph.node import ensure_npm_packages, env_with_node_first, find_node, npm_command

RESULTS = ROOT / "bench" / "results"
LOGS = RESULTS / "lighthouse-logs"
STOREFRONT = ROOT / "storefront"
LIGHTHOUSE_TOOLS = ROOT / "tools" / "lighthouse"
LIGHTHOUSE_CLI = LIGHTHOUSE_TOOLS / "node_modules" / "lighthouse" / "cli" / "index.js"
# next.config.ts reads the media URL at build time (remote image patterns include the
# port), so a reused build must find the platform where the build saw it.
BUILT_FOR = STOREFRONT / ".next" / "lighthouse-platform-port"
# The storefront's engines field.
NODE_MAJOR = 20
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking"
TARGET = 95


def _wait_for(child: Child, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(
                f"{child.name} exited; see {child.log}:\n{child.log.read_text()[-3000:]}"
            )
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{child.name} did not answer {url} within {timeout:.0f}s; see {child.log}")


def _npm(toolchain: tuple[str, str], *args: str, env: dict[str, str] | None = None) -> None:
    node, npm = toolchain
    run_env = env_with_node_first(node)
    run_env.update(env or {})
    completed = subprocess.run(
        npm_command(node, npm, *args),
        cwd=STOREFRONT,
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"npm {' '.join(args)} in storefront/ failed:\n"
            f"{(completed.stdout + completed.stderr)[-6000:]}"
        )


def _pages(base: str) -> dict[str, str]:
    """The home page, the first category and the first product of the sitemap."""
    sitemap = httpx.get(f"{base}/sitemap.xml", timeout=60).text
    urls = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    category = next(url for url in urls if "/category/" in url)
    product = next(url for url in urls if "/product/" in url)
    return {"home": f"{base}/", "category": category, "product": product}


def _lighthouse(node: str, url: str, output: Path, chromium: str) -> dict[str, Any]:
    env = env_with_node_first(node)
    env["CHROME_PATH"] = chromium
    subprocess.run(
        [
            node,
            str(LIGHTHOUSE_CLI),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={output}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={CHROME_FLAGS}",
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    report: dict[str, Any] = json.loads(output.read_text())
    return report


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    audits = report["audits"]
    scores = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}
    below: dict[str, list[str]] = {}
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = audits[ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                shown = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
                below.setdefault(name, []).append(f"{ref['id']}{shown}")
    return {
        "scores": scores,
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "transfer_kib": round(audits["total-byte-weight"]["numericValue"] / 1024, 1),
        "requests": len(audits["network-requests"]["details"]["items"]),
        "below_100": below,
        "lighthouse": report["lighthouseVersion"],
        "user_agent": report["environment"]["hostUserAgent"],
        "form_factor": report["configSettings"]["formFactor"],
    }


def report_markdown(results: dict[str, Any]) -> str:
    pages = results["pages"]
    lines = [
        "# Lighthouse",
        "",
        f"Lighthouse {results['lighthouse']}, {results['form_factor']} profile (simulated "
        f"throttling), {results['browser']}, against the storefront's production build "
        f"(`next build`, standalone server) and `shopgraph serve` with the demo data on this "
        f"machine; median of {results['runs']} runs per page by performance score, after "
        "one warm-up request.",
        "",
        "| page | performance | accessibility | best practices | SEO | LCP | transferred |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, page in pages.items():
        median = page["median"]
        scores = median["scores"]
        lines.append(
            f"| {name} (`{page['path']}`) | {scores['performance']} | {scores['accessibility']} "
            f"| {scores['best-practices']} | {scores['seo']} | {median['lcp_ms'] / 1000:.1f} s "
            f"| {median['transfer_kib']:.0f} KiB ({median['requests']} requests) |"
        )
    lines += ["", "Performance scores of every run: "]
    lines[-1] += "; ".join(
        f"{name} {', '.join(str(run['scores']['performance']) for run in page['runs'])}"
        for name, page in pages.items()
    )
    below = [
        f"- {name}, {category}: {', '.join(audits)}"
        for name, page in pages.items()
        for category, audits in page["median"]["below_100"].items()
    ]
    lines += ["", "Audits that cost points in the median run:", "", *(below or ["- none"])]
    missed = [
        f"{name} {category} {score}"
        for name, page in pages.items()
        for category, score in page["median"]["scores"].items()
        if score < TARGET
    ]
    lines += [
        "",
        f"Target {TARGET}+ in every category: "
        + ("**met**." if not missed else f"**not met**: {', '.join(missed)}."),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.lighthouse", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page")
    parser.add_argument(
        "--skip-build", action="store_true", help="reuse storefront/.next from the last run"
    )
    parser.add_argument("--chromium", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not Path(args.chromium).is_file():
        parser.error(f"no Chromium at {args.chromium} (--chromium or CHROME_PATH)")
    from domains.kit.auth import JwtKeys
    from tests.support.private_redis import PrivateRedis

    toolchain = find_node(min_major=NODE_MAJOR)
    node = toolchain[0]
    ensure_npm_packages(LIGHTHOUSE_TOOLS, toolchain)
    if not (STOREFRONT / "node_modules" / ".package-lock.json").is_file():
        _npm(toolchain, "ci", "--no-audit", "--no-fund")
    if args.skip_build and not BUILT_FOR.is_file():
        parser.error("--skip-build: no build from an earlier run (storefront/.next)")

    LOGS.mkdir(parents=True, exist_ok=True)
    keys = JwtKeys.generate()
    assert keys.private_pem is not None
    redis = PrivateRedis()
    redis.start()
    try:
        with bench_database(postgres_server_url()) as database, children() as started:
            platform_port = int(BUILT_FOR.read_text()) if args.skip_build else free_port()
            platform = f"http://127.0.0.1:{platform_port}"
            env = python_env(
                {
                    "APP_ENV": "development",
                    "DATABASE_URL": database,
                    "REDIS_URL": redis.url,
                    "JWT_PRIVATE_KEY": keys.private_pem,
                    "JWT_PUBLIC_KEY": keys.public_pem,
                    "SHOPGRAPH_DATA_DIR": str(LOGS / "data"),
                    "GATEWAY_OPERATIONS_DIR": str(ROOT / "schema" / "operations"),
                    "PUBLIC_URL": platform,
                    "RATE_LIMIT_ENABLED": "false",
                    "LOG_FORMAT": "text",
                }
            )
            server = spawn(
                started, "serve", shopgraph("serve", "--port", str(platform_port)), env, LOGS
            )
            _wait_for(server, f"{platform}/ready", 300)

            storefront_port = free_port()
            base = f"http://127.0.0.1:{storefront_port}"
            storefront_env = {
                "NODE_ENV": "production",
                "NEXT_TELEMETRY_DISABLED": "1",
                "SHOPGRAPH_GRAPHQL_URL": f"{platform}/graphql",
                "SHOPGRAPH_MEDIA_URL": f"{platform}/media",
                "STOREFRONT_URL": base,
                "STOREFRONT_REVALIDATE_SECRET": "lighthouse",
            }
            if not args.skip_build:
                started_build = time.monotonic()
                _npm(toolchain, "run", "build", env=storefront_env)
                BUILT_FOR.write_text(str(platform_port))
                print(f"storefront built in {time.monotonic() - started_build:.0f} s")
            standalone = LOGS / "standalone"
            shutil.rmtree(standalone, ignore_errors=True)
            shutil.copytree(STOREFRONT / ".next" / "standalone", standalone, symlinks=True)
            storefront_process_env = env_with_node_first(node)
            storefront_process_env.update(
                storefront_env, PORT=str(storefront_port), HOSTNAME="127.0.0.1"
            )
            log = (LOGS / "storefront.log").open("wb")
            storefront = Child(
                "storefront",
                subprocess.Popen(
                    [node, str(standalone / "server.js")],
                    cwd=standalone,
                    env=storefront_process_env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
                LOGS / "storefront.log",
            )
            started.append(storefront)
            _wait_for(storefront, f"{base}/robots.txt", 120)

            pages = _pages(base)
            for url in pages.values():
                httpx.get(url, timeout=60).raise_for_status()
            results: dict[str, Any] = {"runs": args.runs, "pages": {}}
            for name, url in pages.items():
                runs = []
                for number in range(1, args.runs + 1):
                    report = _lighthouse(node, url, LOGS / f"{name}-{number}.json", args.chromium)
                    runs.append(_summary(report))
                    print(f"{name} run {number}: {runs[-1]['scores']}, LCP {runs[-1]['lcp_ms']} ms")
                by_performance = sorted(runs, key=lambda run: run["scores"]["performance"])
                median = by_performance[(len(runs) - 1) // 2]
                results["pages"][name] = {
                    "url": url,
                    "path": url.removeprefix(base),
                    "runs": runs,
                    "median": median,
                    "median_lcp_ms_of_runs": statistics.median(run["lcp_ms"] for run in runs),
                }
            first = next(iter(results["pages"].values()))["median"]
            results["lighthouse"] = first["lighthouse"]
            results["form_factor"] = first["form_factor"]
            browser = re.search(r"(HeadlessChrome|Chrome)/([\d.]+)", first["user_agent"])
            results["browser"] = (
                f"Chromium {browser.group(2)} ({args.chromium})" if browser else args.chromium
            )
    finally:
        redis.kill()

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "lighthouse.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = report_markdown(results)
    (RESULTS / "lighthouse.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
