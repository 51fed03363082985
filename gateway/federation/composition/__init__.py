"""Composition: subgraph SDLs -> a supergraph SDL in the join-spec format.

It checks the federation rules this platform relies on, with errors that name the
subgraph, type and field, and writes the same join directives Apollo's composition
writes (a test checks the two agree on our subgraphs), so the gateway runs either.

`subgraphs.py` reads each subgraph's SDL, `validate.py` checks the rules (it lists
them), `print_sdl.py` writes the supergraph.
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
