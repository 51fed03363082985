"""reviews: reviews of products, extending User and Product (by upc).

Features it carries: @provides (Review.author provides User.username, which reviews
keeps with each review, so the gateway needs no jump to accounts for it); Product.name
@shareable with products; a union (FeedItem) mixing a local type with an entity owned
elsewhere; an error at depth (moderationNote fails for one review) and a non-null field
that is null (editedAt of a review never edited); an input object with a list and a
default.

Product names and usernames read here stand for replicas reviews keeps of the owners'
data; they always agree with products and accounts, as @shareable and @provides
require.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from domains.kit.errors import DomainError, NotFound
from domains.kit.graphql.errors import FederatedSchema
from tests.federation.topology import data

SUBGRAPH = "reviews"


@strawberry.federation.type(shareable=True)
class JournalEntry:
    seq: int
    subgraph: str
    action: str


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    username: str | None = strawberry.federation.field(
        external=True, default=None, graphql_type=str
    )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)

    @strawberry.field
    def reviews(self, min_rating: int | None = None) -> list[Review]:
        return [
            Review.from_row(row)
            for row in data.state.reviews.values()
            if row.author_id == self.id and (min_rating is None or row.rating >= min_rating)
        ]


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str

    @classmethod
    def resolve_reference(cls, upc: str) -> Product:
        return cls(upc=upc)

    @strawberry.federation.field(shareable=True)
    def name(self) -> str:
        row = data.state.product_by_upc(self.upc)
        if row is None:
            raise NotFound(f"no product with upc {self.upc}")
        return row.name

    @strawberry.field
    def reviews(self, first: int | None = None) -> list[Review]:
        rows = [row for row in data.state.reviews.values() if row.product_upc == self.upc]
        return [Review.from_row(row) for row in rows[:first]]

    @strawberry.field
    def average_rating(self) -> float | None:
        ratings = [r.rating for r in data.state.reviews.values() if r.product_upc == self.upc]
        return sum(ratings) / len(ratings) if ratings else None

    @strawberry.field
    def top_review(self) -> Review | None:
        rows = [row for row in data.state.reviews.values() if row.product_upc == self.upc]
        best = max(rows, key=lambda row: row.rating, default=None)
        return None if best is None else Review.from_row(best)


@strawberry.federation.type(keys=["id"])
class Review:
    id: strawberry.ID
    body: str
    rating: int
    tags: list[str]
    _row: strawberry.Private[data.ReviewRow]

    @classmethod
    def from_row(cls, row: data.ReviewRow) -> Review:
        return cls(
            id=strawberry.ID(row.id),
            body=row.body,
            rating=row.rating,
            tags=list(row.tags),
            _row=row,
        )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Review | None:
        row = data.state.reviews.get(str(id))
        return None if row is None else cls.from_row(row)

    @strawberry.federation.field(provides=["username"])
    def author(self) -> User:
        return User(id=strawberry.ID(self._row.author_id), username=self._row.author_username)

    @strawberry.field
    def product(self) -> Product:
        return Product(upc=self._row.product_upc)

    @strawberry.field(description="Null, against its type, for a review never edited.")
    def edited_at(self) -> str:
        return self._row.edited_at  # type: ignore[return-value]  # the null-propagation case

    @strawberry.field(description="Fails for reviews under moderation.")
    def moderation_note(self) -> str | None:
        if "defect" in self._row.tags:
            raise DomainError(f"review {self.id} is under moderation")
        return None


FeedItem = Annotated[Review | Product, strawberry.union("FeedItem")]


@strawberry.input
class ReviewInput:
    product_upc: str
    author_id: strawberry.ID
    rating: int
    body: str
    tags: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class AddReviewPayload:
    review: Review
    journal: list[JournalEntry]


@strawberry.type
class Query:
    @strawberry.field(description="Newest first.")
    def latest_reviews(self, first: int = 3) -> list[Review]:
        rows = sorted(data.state.reviews.values(), key=lambda row: int(row.id[1:]), reverse=True)
        return [Review.from_row(row) for row in rows[:first]]

    @strawberry.field
    def review(self, id: strawberry.ID) -> Review | None:
        return Review.resolve_reference(id)

    @strawberry.field
    def feed(self) -> list[FeedItem]:
        reviews = data.state.reviews
        return [
            Review.from_row(reviews["r5"]),
            Product(upc="1005"),
            Review.from_row(reviews["r1"]),
            Product(upc="1004"),
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def add_review(self, input: ReviewInput) -> AddReviewPayload:
        if not 1 <= input.rating <= 5:
            raise DomainError(f"rating must be between 1 and 5, got {input.rating}")
        author = data.state.users.get(str(input.author_id))
        if author is None:
            raise NotFound(f"no user {input.author_id}")
        review_id = f"r{len(data.state.reviews) + 1}"
        row = data.ReviewRow(
            review_id, author.id, author.username, input.product_upc, input.rating,
            input.body, list(input.tags), None,
        )  # fmt: skip
        data.state.reviews[review_id] = row
        journal = data.record(SUBGRAPH, f"addReview {input.product_upc} {input.rating}")
        return AddReviewPayload(
            review=Review.from_row(row),
            journal=[
                JournalEntry(seq=j.seq, subgraph=j.subgraph, action=j.action) for j in journal
            ],
        )


schema = FederatedSchema(query=Query, mutation=Mutation, types=[User, Product, Review])
