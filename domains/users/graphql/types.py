"""GraphQL types of the users subgraph."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeAlias

import strawberry
from strawberry.types import Info

from domains.kit.auth import Role as RoleValue
from domains.kit.errors import InputErrors, NotFound
from domains.kit.graphql.context import RequestContext
from domains.kit.graphql.errors import payload_errors
from domains.kit.graphql.pagination import Connection
from domains.users import models
from domains.users.errors import UserErrorCode as UserErrorCodeValue
from domains.users.graphql.loaders import UserLoaders
from domains.users.services.accounts import PublicUser
from domains.users.services.inputs import parse_id

UsersInfo: TypeAlias = Info[RequestContext[UserLoaders], None]

# Registered with Strawberry under their GraphQL names; annotations use the Python enums.
strawberry.enum(RoleValue, name="Role", description="What an account may do.")
strawberry.enum(
    UserErrorCodeValue,
    name="UserErrorCode",
    description="Why a users-domain mutation refused its input.",
)


def _same_named(model: object, columns: tuple[str, ...]) -> dict[str, Any]:
    """The model's values of the columns a type shows under the same name."""
    return {column: getattr(model, column) for column in columns}


# Address columns shown as they are; the default flags are renamed.
_ADDRESS_COLUMNS = (
    "first_name",
    "last_name",
    "company",
    "street_address_1",
    "street_address_2",
    "city",
    "postal_code",
    "country_code",
    "country_area",
    "phone",
)


@strawberry.type(description="A problem with a mutation's input.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault (camelCase), or null when the input as a whole is."
    )
    code: UserErrorCodeValue
    message: str


@strawberry.federation.type(keys=["id"], description="A postal address kept in an account.")
class Address:
    id: strawberry.ID
    first_name: str
    last_name: str
    company: str
    street_address_1: str
    street_address_2: str
    city: str
    postal_code: str
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2, upper case.")
    country_area: str
    phone: str
    is_default_shipping_address: bool
    is_default_billing_address: bool

    @classmethod
    def from_model(cls, model: models.Address) -> Address:
        return cls(
            id=strawberry.ID(str(model.id)),
            **_same_named(model, _ADDRESS_COLUMNS),
            is_default_shipping_address=model.is_default_shipping,
            is_default_billing_address=model.is_default_billing,
        )

    @classmethod
    async def resolve_reference(cls, info: UsersInfo, id: strawberry.ID) -> Address | None:
        # Other domains reference addresses (an order's shipping address is copied, not
        # referenced, but a cart may point at a saved one); only the owner or staff see it.
        model = await info.context.loaders.address_by_id.load(parse_id(id))
        if model is None:
            return None
        info.context.viewer.require_self_or_staff(model.user_id)
        return cls.from_model(model)


@strawberry.federation.type(keys=["id"], description="A customer, seller or staff account.")
class User:
    id: strawberry.ID
    name: str
    roles: list[RoleValue]
    created_at: datetime
    _user_id: strawberry.Private[uuid.UUID]
    # The whole row, private columns included, when the resolver already holds it (the
    # viewer's own account, a mutation's answer). A user built from the cached public
    # fields reads it from Postgres only for a private field, after the access check.
    _account: strawberry.Private[models.User | None] = None
    # Set when a mutation has just proven the caller owns the account (registering,
    # signing in, resetting the password), before any access token is in play.
    _owner_proven: strawberry.Private[bool] = False

    @classmethod
    def from_model(cls, model: models.User, *, owner_proven: bool = False) -> User:
        user = cls.from_public(
            PublicUser(
                id=model.id, name=model.name, roles=tuple(model.roles), created_at=model.created_at
            )
        )
        user._account = model
        user._owner_proven = owner_proven
        return user

    @classmethod
    def from_public(cls, public: PublicUser) -> User:
        return cls(
            id=strawberry.ID(str(public.id)),
            name=public.name,
            roles=[RoleValue(role) for role in public.roles],
            created_at=public.created_at,
            _user_id=public.id,
        )

    @classmethod
    async def resolve_reference(cls, info: UsersInfo, id: strawberry.ID) -> User | None:
        public = await info.context.loaders.public_user_by_id.load(parse_id(id))
        return None if public is None else cls.from_public(public)

    def _require_private_access(self, info: UsersInfo) -> None:
        if not self._owner_proven:
            info.context.viewer.require_self_or_staff(self._user_id)

    async def _private_account(self, info: UsersInfo) -> models.User:
        self._require_private_access(info)
        if self._account is None:
            self._account = await info.context.loaders.user_by_id.load(self._user_id)
            if self._account is None:
                raise NotFound("The account no longer exists.")
        return self._account

    @strawberry.field(description="Visible to the account itself and to staff.")
    async def email(self, info: UsersInfo) -> str | None:
        return (await self._private_account(info)).email

    @strawberry.field(description="Whether the email address was confirmed. Self or staff.")
    async def is_email_confirmed(self, info: UsersInfo) -> bool | None:
        return (await self._private_account(info)).is_email_confirmed

    @strawberry.field(description="Saved addresses, oldest first. Self or staff.")
    async def addresses(self, info: UsersInfo) -> list[Address] | None:
        self._require_private_access(info)
        rows = await info.context.loaders.addresses_by_user_id.load(self._user_id)
        return [Address.from_model(row) for row in rows]

    @strawberry.field(description="The default shipping address, if any. Self or staff.")
    async def default_shipping_address(self, info: UsersInfo) -> Address | None:
        addresses = await self.addresses(info) or []
        return next((a for a in addresses if a.is_default_shipping_address), None)

    @strawberry.field(description="The default billing address, if any. Self or staff.")
    async def default_billing_address(self, info: UsersInfo) -> Address | None:
        addresses = await self.addresses(info) or []
        return next((a for a in addresses if a.is_default_billing_address), None)

    @strawberry.field(description="The shop this account runs, if it is a seller.")
    async def seller_profile(self, info: UsersInfo) -> SellerProfile | None:
        model = await info.context.loaders.seller_profile_by_user_id.load(self._user_id)
        return None if model is None else SellerProfile.from_model(model)


@strawberry.federation.type(keys=["id"], description="A seller's shop.")
class SellerProfile:
    id: strawberry.ID
    shop_name: str
    slug: str = strawberry.field(description="Unique, URL-safe name of the shop.")
    description: str
    created_at: datetime
    _user_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, model: models.SellerProfile) -> SellerProfile:
        return cls(
            id=strawberry.ID(str(model.id)),
            **_same_named(model, ("shop_name", "slug", "description", "created_at")),
            _user_id=model.user_id,
        )

    @classmethod
    async def resolve_reference(cls, info: UsersInfo, id: strawberry.ID) -> SellerProfile | None:
        model = await info.context.loaders.seller_profile_by_id.load(parse_id(id))
        return None if model is None else cls.from_model(model)

    @strawberry.field(description="The account that runs the shop.")
    async def user(self, info: UsersInfo) -> User:
        public = await info.context.loaders.public_user_by_id.load(self._user_id)
        if public is None:  # the foreign key cascades, so only a race with a delete gets here
            raise NotFound("The shop's account no longer exists.")
        return User.from_public(public)


SellerProfileConnection = Connection[SellerProfile]


def user_errors(error: InputErrors) -> list[UserError]:
    return payload_errors(error, UserError, UserErrorCodeValue)
