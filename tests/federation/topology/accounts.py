"""accounts: users, organizations and teams, and the Account entity interface.

Features it carries for the corpus: the entity interface ``Account @key(fields: "id")``
(implemented by User and Organization, extended by inventory through @interfaceObject);
the nested key ``Team @key(fields: "id organization { id }")``; a @shareable value type
(Location, also in inventory); an @inaccessible field (User.legacyScore); a field
overridden by orders (User.email, still answered here with a legacy value, so a
gateway that ignores @override gives a visibly wrong answer); a resolver that always
fails (User.secret).
"""

from __future__ import annotations

from enum import Enum

import strawberry

from domains.kit.errors import NotFound, PermissionDenied
from domains.kit.graphql.errors import FederatedSchema
from tests.federation.topology import data

SUBGRAPH = "accounts"


@strawberry.enum
class Role(Enum):
    ADMIN = "ADMIN"
    CUSTOMER = "CUSTOMER"
    SELLER = "SELLER"


@strawberry.federation.type(shareable=True)
class Location:
    city: str
    country: str


@strawberry.federation.type(shareable=True)
class JournalEntry:
    seq: int
    subgraph: str
    action: str


def _journal(rows: list[data.JournalRow]) -> list[JournalEntry]:
    return [JournalEntry(seq=row.seq, subgraph=row.subgraph, action=row.action) for row in rows]


_COUNTRY_OF_CITY = {"London": "GB", "Manchester": "GB", "Arlington": "US"}


def _location(city: str | None) -> Location | None:
    return None if city is None else Location(city=city, country=_COUNTRY_OF_CITY[city])


@strawberry.federation.interface(keys=["id"])
class Account:
    id: strawberry.ID
    handle: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Account | None:
        return _account(str(id))


def _account(account_id: str) -> User | Organization | None:
    if account_id in data.state.users:
        return User.from_row(data.state.users[account_id])
    if account_id in data.state.organizations:
        return Organization.from_row(data.state.organizations[account_id])
    return None


@strawberry.federation.type(keys=["id"])
class User(Account):
    username: str = strawberry.federation.field(shareable=True)
    name: str
    role: Role
    legacy_score: int = strawberry.federation.field(inaccessible=True)
    _row: strawberry.Private[data.UserRow]

    @classmethod
    def from_row(cls, row: data.UserRow) -> User:
        return cls(
            id=strawberry.ID(row.id),
            handle=f"@{row.username}",
            username=row.username,
            name=row.name,
            role=Role(row.role),
            legacy_score=row.legacy_score,
            _row=row,
        )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User | None:
        row = data.state.users.get(str(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="Overridden by orders; the value here is stale on purpose.")
    def email(self) -> str:
        return self._row.legacy_email

    @strawberry.field
    def organization(self) -> Organization | None:
        org_id = self._row.organization_id
        return None if org_id is None else Organization.from_row(data.state.organizations[org_id])

    @strawberry.field
    def location(self) -> Location | None:
        return _location(self._row.city)

    @strawberry.field(description="Always fails: an error at some depth inside a subgraph.")
    def secret(self) -> str | None:
        raise PermissionDenied(f"the secret of {self.id} is not yours to read")


@strawberry.federation.type(keys=["id"])
class Organization(Account):
    name: str
    _row: strawberry.Private[data.OrganizationRow]

    @classmethod
    def from_row(cls, row: data.OrganizationRow) -> Organization:
        return cls(id=strawberry.ID(row.id), handle=f"@{row.handle}", name=row.name, _row=row)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Organization | None:
        row = data.state.organizations.get(str(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field
    def location(self) -> Location:
        location = _location(self._row.city)
        assert location is not None
        return location

    @strawberry.field
    def members(self) -> list[User]:
        return [User.from_row(u) for u in data.state.users.values() if u.organization_id == self.id]

    @strawberry.field
    def teams(self) -> list[Team]:
        return [Team.from_row(t) for t in data.state.teams.values() if t.organization_id == self.id]


@strawberry.federation.type(keys=["id organization { id }"])
class Team:
    id: strawberry.ID
    name: str
    _row: strawberry.Private[data.TeamRow]

    @classmethod
    def from_row(cls, row: data.TeamRow) -> Team:
        return cls(id=strawberry.ID(row.id), name=row.name, _row=row)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, organization: dict[str, str]) -> Team | None:
        row = data.state.teams.get((str(id), organization["id"]))
        return None if row is None else cls.from_row(row)

    @strawberry.field
    def organization(self) -> Organization:
        return Organization.from_row(data.state.organizations[self._row.organization_id])

    @strawberry.field
    def members(self) -> list[User]:
        return [User.from_row(data.state.users[user_id]) for user_id in self._row.member_ids]


@strawberry.type
class RenameUserPayload:
    user: User | None
    journal: list[JournalEntry]


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user: always u1 here.")
    def me(self) -> User:
        return User.from_row(data.state.users["u1"])

    @strawberry.field
    def user(self, id: strawberry.ID) -> User | None:
        return User.resolve_reference(id)

    @strawberry.field
    def users(self, role: Role | None = None, ids: list[strawberry.ID] | None = None) -> list[User]:
        rows = list(data.state.users.values())
        if role is not None:
            rows = [row for row in rows if row.role == role.value]
        if ids is not None:
            wanted = [str(i) for i in ids]
            rows = [row for row in rows if row.id in wanted]
        return [User.from_row(row) for row in rows]

    @strawberry.field
    def accounts(self) -> list[Account]:
        found = [_account(account_id) for account_id in ("org1", "u1", "u3", "org2")]
        return [account for account in found if account is not None]

    @strawberry.field
    def account(self, id: strawberry.ID) -> Account | None:
        return _account(str(id))

    @strawberry.field
    def organization(self, id: strawberry.ID) -> Organization:
        org = Organization.resolve_reference(id)
        if org is None:
            raise NotFound(f"no organization {id}")
        return org

    @strawberry.field
    def team(self, id: strawberry.ID, organization_id: strawberry.ID) -> Team | None:
        row = data.state.teams.get((str(id), str(organization_id)))
        return None if row is None else Team.from_row(row)


@strawberry.type
class Mutation:
    @strawberry.mutation
    def rename_user(self, id: strawberry.ID, name: str) -> RenameUserPayload | None:
        # Nullable, unlike the other mutations: a failure here leaves the rest of a
        # mutation's data in place, which shows whether later fields still ran.
        row = data.state.users.get(str(id))
        if row is None:
            raise NotFound(f"no user {id}")
        row.name = name
        journal = data.record(SUBGRAPH, f"renameUser {id} {name}")
        return RenameUserPayload(user=User.from_row(row), journal=_journal(journal))


schema = FederatedSchema(query=Query, mutation=Mutation, types=[User, Organization, Team])
