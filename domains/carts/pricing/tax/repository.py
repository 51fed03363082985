"""Every SQL statement of the local tax rules."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.pricing.tax.models import TaxCountry, TaxRule
from domains.kit.db import all_rows, get_for_update

# A country's settings with its rules, in one statement (every quote reads them), built
# once.
_COUNTRY_WITH_RULES = (
    select(TaxCountry, TaxRule)
    .outerjoin(TaxRule, TaxRule.country_code == TaxCountry.country_code)
    .where(TaxCountry.country_code == bindparam("of_country"))
)


class TaxCountryRepository:
    async def get(self, session: AsyncSession, country_code: str) -> TaxCountry | None:
        return await session.get(TaxCountry, country_code)

    async def with_rules(
        self, session: AsyncSession, country_code: str
    ) -> tuple[TaxCountry | None, list[TaxRule]]:
        """The country's settings (None when it has none) and its rules."""
        rows = (await session.execute(_COUNTRY_WITH_RULES, {"of_country": country_code})).all()
        if not rows:
            return None, []
        return rows[0][0], [rule for _, rule in rows if rule is not None]

    async def put(
        self,
        session: AsyncSession,
        country_code: str,
        *,
        prices_include_tax: bool,
        tax_shipping: bool,
        standard_rate: int,
    ) -> TaxCountry:
        """Insert or replace the country's settings; the row as stored."""
        values = {
            "prices_include_tax": prices_include_tax,
            "tax_shipping": tax_shipping,
            "standard_rate": standard_rate,
        }
        statement = insert(TaxCountry).values(country_code=country_code, **values)
        row = await session.scalar(
            statement.on_conflict_do_update(
                index_elements=[TaxCountry.country_code],
                set_={**values, "updated_at": statement.excluded.updated_at},
            )
            .returning(TaxCountry)
            .execution_options(populate_existing=True)
        )
        assert row is not None
        return row

    async def listed(self, session: AsyncSession) -> list[TaxCountry]:
        return await all_rows(session, select(TaxCountry).order_by(TaxCountry.country_code))


class TaxRuleRepository:
    async def add(self, session: AsyncSession, rule: TaxRule) -> TaxRule:
        session.add(rule)
        await session.flush()
        await session.refresh(rule)
        return rule

    async def get_for_update(self, session: AsyncSession, rule_id: uuid.UUID) -> TaxRule | None:
        return await get_for_update(session, TaxRule, rule_id)

    async def find(
        self,
        session: AsyncSession,
        country_code: str,
        region_code: str,
        category_id: uuid.UUID | None,
    ) -> TaxRule | None:
        category = (
            TaxRule.category_id.is_(None)
            if category_id is None
            else TaxRule.category_id == category_id
        )
        return await session.scalar(
            select(TaxRule).where(
                TaxRule.country_code == country_code, TaxRule.region_code == region_code, category
            )
        )

    async def listed(self, session: AsyncSession, country_code: str | None) -> list[TaxRule]:
        statement = select(TaxRule).order_by(
            TaxRule.country_code, TaxRule.region_code, TaxRule.category_id.nulls_first(), TaxRule.id
        )
        if country_code is not None:
            statement = statement.where(TaxRule.country_code == country_code)
        return await all_rows(session, statement)

    async def delete(self, session: AsyncSession, rule: TaxRule) -> None:
        await session.delete(rule)
        await session.flush()


tax_country_repository = TaxCountryRepository()
tax_rule_repository = TaxRuleRepository()
