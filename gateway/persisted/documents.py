"""From a request's parameters to the document it runs, and what a partner may run.

- `documentId: "sha256:<hex>"` (GraphQL-over-HTTP persisted documents) and Apollo's
  `extensions.persistedQuery.sha256Hash` name a document by hash: looked up in the
  manifests, then among automatic persisted queries. A miss answers
  `PERSISTED_QUERY_NOT_FOUND` (message `PersistedQueryNotFound`, what Apollo Client's
  PersistedQueryLink looks for), so the client resends with the document.
- A document sent with a hash must match it; it is registered once it validates.
- A request with a partner API key runs only its manifest's operations, named by hash
  or sent in full (a byte-identical document is the same operation).
- With `trusted_only`, every request is held to that rule over all the manifests: other
  text is refused (`PERSISTED_QUERY_REQUIRED`), as is a hash no manifest holds
  (`PERSISTED_QUERY_NOT_IN_LIST`), and nothing is registered as an automatic persisted
  query. A browser, or a stolen page, can then run only what the clients shipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.errors import Refusal, request_error
from gateway.partners.service import PartnerIdentity
from gateway.persisted.manifests import Manifest
from gateway.persisted.store import DocumentStore, sha256_hex
from gateway.protocol import GraphQLParams

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
DOCUMENT_ID_PREFIX = "sha256:"


@dataclass(frozen=True)
class Resolved:
    query: str
    # Sent by hash alone (so a GET for it can be cached and needs no CSRF check).
    persisted: bool
    # The hash to register the document under once it has validated.
    register: str | None = None


class PersistedDocuments:
    def __init__(
        self, manifests: Mapping[str, Manifest], store: DocumentStore, *, trusted_only: bool = False
    ) -> None:
        self.manifests = dict(manifests)
        self.store = store
        self.trusted_only = trusted_only
        self._trusted = {
            operation.id: operation.body
            for manifest in self.manifests.values()
            for operation in manifest.operations.values()
        }
        # Names of registered operations: a bounded set, fit for metric labels.
        self.known_names = frozenset(
            operation.name
            for manifest in self.manifests.values()
            for operation in manifest.operations.values()
        )

    async def resolve(self, params: GraphQLParams, partner: PartnerIdentity | None) -> Resolved:
        sha256 = _requested_hash(params)
        if params.query is not None:
            actual = sha256_hex(params.query)
            if sha256 is not None and sha256 != actual:
                raise Refusal.of(
                    "The document's SHA-256 is not the persistedQuery.sha256Hash sent with it.",
                    "PERSISTED_QUERY_HASH_MISMATCH",
                )
            if partner is not None:
                self._allowed(partner, actual)
            elif self.trusted_only and actual not in self._trusted:
                raise request_error(
                    "This gateway runs only registered documents: send the documentId "
                    "('sha256:<hex>') of an operation in its manifests, not document text.",
                    "PERSISTED_QUERY_REQUIRED",
                )
            register = sha256 if sha256 is not None and sha256 not in self._trusted else None
            return Resolved(params.query, persisted=False, register=register)
        assert sha256 is not None  # read_params refuses a request with neither
        if partner is not None:
            return Resolved(self._allowed(partner, sha256), persisted=True)
        if self.trusted_only and sha256 not in self._trusted:
            raise request_error(
                f"No manifest of this gateway holds the document sha256:{sha256}, and it "
                "runs only registered documents.",
                "PERSISTED_QUERY_NOT_IN_LIST",
            )
        document = self._trusted.get(sha256) or await self.store.get(sha256)
        if document is None:
            raise request_error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return Resolved(document, persisted=True)

    def _allowed(self, partner: PartnerIdentity, sha256: str) -> str:
        manifest = self.manifests.get(partner.manifest)
        operation = manifest.get(sha256) if manifest else None
        if operation is None:
            raise Refusal.of(
                f"This API key may run only the operations of the manifest "
                f"'{partner.manifest}'; send the documentId of one of them.",
                "OPERATION_NOT_IN_MANIFEST",
                status=403,
                manifest=partner.manifest,
            )
        return operation.body


def _requested_hash(params: GraphQLParams) -> str | None:
    if params.document_id is not None:
        prefix, _, digest = params.document_id.partition(":")
        if f"{prefix}:" != DOCUMENT_ID_PREFIX or not _SHA256.match(digest.lower()):
            raise Refusal.of(
                "`documentId` must be 'sha256:' followed by 64 hexadecimal digits.",
                "BAD_REQUEST",
            )
        return digest.lower()
    sha256 = params.persisted_hash
    if sha256 is not None and not _SHA256.match(sha256):
        raise Refusal.of("`sha256Hash` must be 64 hexadecimal digits.", "BAD_REQUEST")
    return sha256
