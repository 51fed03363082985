"""Persisted documents: operations a client names by their SHA-256 instead of sending them.

Two sources, one lookup by hash: trusted-document manifests committed under
`schema/operations/` (`manifests.py`), and automatic persisted queries that clients
register on a miss, kept in Redis (`store.py`). `documents.py` resolves a request to
its document and enforces what partners may run.
"""
