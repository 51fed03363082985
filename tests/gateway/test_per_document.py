"""Facts about a parsed document are derived once per document object, and forgotten
with it."""

from __future__ import annotations

import gc

from graphql import DocumentNode, parse

from gateway.federation.per_document import PerDocument


def test_a_fact_is_derived_once_per_document_and_dropped_with_it() -> None:
    derived: list[str] = []

    def name_of(document: DocumentNode) -> str:
        derived.append("x")
        return type(document).__name__

    fact = PerDocument(name_of)
    document = parse("{ a }")
    same_text_other_object = parse("{ a }")

    assert [fact(document), fact(document), fact(same_text_other_object)] == ["DocumentNode"] * 3
    assert len(derived) == 2
    del document, same_text_other_object
    gc.collect()
    assert len(fact) == 0
