"""Trusted documents: Apollo's persisted-query-list manifests, one file per client.

A manifest is `{"format": "apollo-persisted-query-manifest", "version": 1,
"operations": [{"id", "name", "type", "body"}]}` with `id` the SHA-256 (hex) of `body`,
the format `@apollo/generate-persisted-query-manifest` writes. Manifests live in
`schema/operations/<name>.json`; a partner API key names the manifest it may run.
`register_operations` turns a `.graphql` file into manifest entries
(`shopgraph operations register FILE`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    print_ast,
    validate,
    visit,
)
from graphql.language import Visitor

from gateway.persisted.store import sha256_hex

FORMAT = "apollo-persisted-query-manifest"
_MANIFEST_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
VERSION = 1


class ManifestError(ValueError):
    """A manifest or an operation to register is malformed; the message says where."""


@dataclass(frozen=True)
class ManifestOperation:
    id: str
    name: str
    type: str
    body: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "type": self.type, "body": self.body}


@dataclass(frozen=True)
class Manifest:
    name: str
    operations: Mapping[str, ManifestOperation]  # by id

    def get(self, sha256: str) -> ManifestOperation | None:
        return self.operations.get(sha256)

    def as_json(self) -> dict[str, Any]:
        ordered = sorted(self.operations.values(), key=lambda op: (op.name, op.id))
        return {
            "format": FORMAT,
            "version": VERSION,
            "operations": [operation.as_json() for operation in ordered],
        }

    @classmethod
    def from_json(cls, name: str, payload: Any, *, source: str) -> Manifest:
        if (
            not isinstance(payload, dict)
            or payload.get("format") != FORMAT
            or payload.get("version") != VERSION
        ):
            raise ManifestError(
                f"{source}: not a persisted-query manifest "
                f'(expected "format": "{FORMAT}", "version": {VERSION})'
            )
        operations: dict[str, ManifestOperation] = {}
        for index, entry in enumerate(payload.get("operations") or []):
            where = f"{source}: operations[{index}]"
            if not isinstance(entry, dict) or not all(
                isinstance(entry.get(key), str) for key in ("id", "name", "type", "body")
            ):
                raise ManifestError(f"{where} needs string id, name, type and body")
            operation = ManifestOperation(
                entry["id"].lower(), entry["name"], entry["type"], entry["body"]
            )
            if sha256_hex(operation.body) != operation.id:
                raise ManifestError(f"{where} ({operation.name}): id is not the SHA-256 of body")
            operations[operation.id] = operation
        return cls(name, operations)


def manifest_path(directory: Path, name: str) -> Path:
    if not _MANIFEST_NAME.match(name):
        raise ManifestError(f"manifest name {name!r}: use lower-case letters, digits, '-' and '_'")
    return directory / f"{name}.json"


def load_manifest(path: Path) -> Manifest:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ManifestError(f"{path}: not valid JSON ({error})") from None
    return Manifest.from_json(path.stem, payload, source=str(path))


def load_manifests(directory: Path | None) -> dict[str, Manifest]:
    """Every `*.json` manifest in the directory, by name (the file's stem)."""
    if directory is None or not directory.is_dir():
        return {}
    return {path.stem: load_manifest(path) for path in sorted(directory.glob("*.json"))}


def write_manifest(path: Path, manifest: Manifest) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest.as_json(), indent=2) + "\n", encoding="utf-8")


def register_operations(
    manifest: Manifest, source: str, schema: GraphQLSchema, *, origin: str
) -> tuple[Manifest, list[ManifestOperation]]:
    """Add every named operation of `source` (with the fragments it uses) to the manifest.

    Each operation must validate against the schema. An operation of the same name is
    replaced, so registering an edited file updates the manifest rather than growing it.
    """
    try:
        document = parse(source)
    except GraphQLError as error:
        raise ManifestError(f"{origin}: {error.message}") from None
    errors = validate(schema, document)
    if errors:
        raise ManifestError(
            f"{origin}: does not validate against the API schema:\n"
            + "\n".join(f"  - {error.message}" for error in errors)
        )
    added = [_operation_entry(document, operation, origin) for operation in _operations(document)]
    if not added:
        raise ManifestError(f"{origin}: no operations in it")
    names = {operation.name for operation in added}
    kept = {i: op for i, op in manifest.operations.items() if op.name not in names}
    kept.update({operation.id: operation for operation in added})
    return Manifest(manifest.name, kept), added


def merge_manifest(
    manifest: Manifest, other: Manifest, schema: GraphQLSchema, *, origin: str
) -> tuple[Manifest, list[ManifestOperation]]:
    """Add the operations of another manifest (one a client's build tool generated)."""
    for operation in other.operations.values():
        try:
            errors = validate(schema, parse(operation.body))
        except GraphQLError as error:
            errors = [error]
        if errors:
            raise ManifestError(
                f"{origin}: {operation.name} does not validate against the API schema:\n"
                + "\n".join(f"  - {error.message}" for error in errors)
            )
    added = list(other.operations.values())
    names = {operation.name for operation in added}
    kept = {i: op for i, op in manifest.operations.items() if op.name not in names}
    kept.update(other.operations)
    return Manifest(manifest.name, kept), added


def _operations(document: DocumentNode) -> Iterable[OperationDefinitionNode]:
    return (d for d in document.definitions if isinstance(d, OperationDefinitionNode))


def _operation_entry(
    document: DocumentNode, operation: OperationDefinitionNode, origin: str
) -> ManifestOperation:
    if operation.name is None:
        raise ManifestError(f"{origin}: every operation in a manifest needs a name")
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    used: list[FragmentDefinitionNode] = []
    pending = _spreads(operation)
    while pending:
        name = pending.pop(0)
        if any(fragment.name.value == name for fragment in used):
            continue
        used.append(fragments[name])
        pending.extend(_spreads(fragments[name]))
    # Apollo's manifest generator prints the operation, then its fragments by name.
    body = "\n\n".join(
        print_ast(node) for node in [operation, *sorted(used, key=lambda f: f.name.value)]
    )
    return ManifestOperation(
        sha256_hex(body), operation.name.value, operation.operation.value, body
    )


def _spreads(node: OperationDefinitionNode | FragmentDefinitionNode) -> list[str]:
    names: list[str] = []

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: Any) -> None:
            names.append(spread.name.value)

    visit(node, Spreads())
    return names
