"""Federation stubs: another subgraph's entity as this one knows it, by its key alone."""

from __future__ import annotations

from typing import Self

import strawberry


@strawberry.type
class EntityStub:
    """Subclass it under `@strawberry.federation.type(keys=["id"])`, named as the owning
    subgraph names the entity, adding only the fields this subgraph contributes. A
    reference resolves to the key it came with: nothing is read, the owner has the rest."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        return cls(id=id)
