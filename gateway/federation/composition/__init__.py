"""Composition: subgraph SDLs -> a supergraph SDL in the join-spec format.

It checks the federation rules this platform relies on, with errors that name the
subgraph, type and field, and writes the same join directives Apollo's composition
writes (a test checks the two agree on our subgraphs), so the gateway runs either.

Rules checked:
- a @key, @requires or @provides field set names fields that exist;
- a field resolved by several subgraphs is @shareable in each (key fields and
  @external fields excepted), unless one of them takes it over with @override;
- @external fields are used by a @key, @requires or @provides of their subgraph;
- @requires names only @external fields; @provides is on a field returning an entity
  and names fields that are @external in that subgraph;
- a type has one kind everywhere, and a field one type (up to nullability).
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.federation.composition.print_sdl import print_supergraph
from gateway.federation.composition.subgraphs import read_subgraph
from gateway.federation.composition.validate import validation_errors


class CompositionError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def compose(subgraphs: Mapping[str, tuple[str, str]]) -> str:
    """Compose {name: (url, sdl)} into a supergraph SDL; raise CompositionError on rule breaks."""
    parsed = [read_subgraph(name, url, sdl) for name, (url, sdl) in subgraphs.items()]
    # Apollo's composition visits subgraphs by name; so do we, so that field order
    # in the supergraph (and so in introspection) is the same.
    parsed.sort(key=lambda subgraph: subgraph.name)
    errors = validation_errors(parsed)
    if errors:
        raise CompositionError(errors)
    return print_supergraph(parsed)


__all__ = ["CompositionError", "compose"]
