"""The dependency audit (tools/deps/audit.py): real pip-audit findings fail it unless
accepted with a reason, and an unreachable advisory source is said plainly."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dependency_audit", ROOT / "tools/deps/audit.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


audit = _load_audit()


@pytest.mark.slow
def test_pip_audit_on_a_vulnerable_pin_finds_it_or_says_it_could_not_look(
    tmp_path: Path,
) -> None:
    """Through the real pip-audit and PyPI: urllib3 1.26.4 has published advisories
    (fixed in 1.26.5). Where PyPI's per-release data cannot be had (a registry mirror
    answers 404 for it), the audit must say so; what it must never do is call the pin
    clean, which is what taking pip-audit's skipped packages as checked would do."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("urllib3==1.26.4\n")

    report = audit.audit_requirements(requirements, source="python (test)")
    lines, failed = audit.summarize([report], accepted={})

    if report.unreachable is not None:
        assert lines[0].startswith("NOT CHECKED  python (test): the advisory source")
        assert "urllib3" in lines[0] or "1 packages" in lines[0]
    else:
        assert {finding.package for finding in report.findings} == {"urllib3"}
        assert failed
        assert lines[0].startswith("FAIL")
    assert not any(line.startswith("ok") for line in lines)


def _finding(*ids: str) -> object:
    return audit.Finding("python", "urllib3", "1.26.4", ids, "a flaw", "1.26.5")


def test_an_accepted_finding_passes_and_is_printed_with_its_reason() -> None:
    report = audit.Report(
        source="python (lock)", checked=3, findings=[_finding("PYSEC-1", "CVE-1")]
    )
    accepted = {"CVE-1": audit.Accepted("CVE-1", "urllib3", "only the CLI is affected")}

    lines, failed = audit.summarize([report], accepted)

    assert not failed
    assert any("accepted" in line and "only the CLI is affected" in line for line in lines)
    assert any(line.startswith("ok") and "(1 accepted)" in line for line in lines)


def test_packages_the_source_knows_nothing_of_are_listed_as_not_checked() -> None:
    report = audit.Report(source="python (lock)", checked=3, skipped=["private-lib"])

    lines, failed = audit.summarize([report], accepted={})

    assert not failed
    assert lines[0].startswith("ok           python (lock): 2 packages checked")
    assert "NOT CHECKED: private-lib" in lines[1]


def test_an_unaccepted_finding_fails_naming_the_package_and_the_fix() -> None:
    report = audit.Report(source="npm (tools/x)", checked=3, findings=[_finding("GHSA-1")])

    lines, failed = audit.summarize([report], accepted={})

    assert failed
    assert any("urllib3 1.26.4 GHSA-1" in line and "1.26.5" in line for line in lines)


def test_an_unreachable_source_is_reported_and_fails_only_when_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = audit.Report(source="npm (tools/x)", unreachable="405 Method Not Allowed")

    lines, failed = audit.summarize([report], accepted={})
    monkeypatch.setenv("SHOPGRAPH_AUDIT_REQUIRED", "1")
    _, failed_when_required = audit.summarize([report], accepted={})

    assert lines == [
        "NOT CHECKED  npm (tools/x): the advisory source could not be reached "
        "(405 Method Not Allowed)"
    ]
    assert not failed
    assert failed_when_required


def test_an_accepted_entry_without_a_reason_is_refused(tmp_path: Path) -> None:
    listing = tmp_path / "accepted.toml"
    listing.write_text('[[accepted]]\nid = "CVE-1"\npackage = "urllib3"\n')

    with pytest.raises(SystemExit, match="accepted entry 1 lacks reason"):
        audit.load_accepted(listing)


def test_the_committed_accepted_list_is_well_formed() -> None:
    for entry in audit.load_accepted().values():
        assert entry.reason.strip()
