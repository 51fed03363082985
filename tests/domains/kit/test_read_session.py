"""A read session runs each statement on its own, with no transaction around them: no
BEGIN before and no ROLLBACK after, two round trips a dataloader batch saved."""

from __future__ import annotations

from sqlalchemy import text

from domains.kit.db import read_session, transaction
from domains.kit.resources import Resources

TRANSACTION_ID = text("SELECT txid_current()")


async def test_each_statement_of_a_read_session_is_its_own_transaction(
    resources: Resources,
) -> None:
    async with read_session(resources.session_factory) as session:
        first = (await session.execute(TRANSACTION_ID)).scalar_one()
        second = (await session.execute(TRANSACTION_ID)).scalar_one()

    assert second != first


async def test_a_unit_of_work_is_still_one_transaction(resources: Resources) -> None:
    async with transaction(resources.session_factory) as session:
        first = (await session.execute(TRANSACTION_ID)).scalar_one()
        second = (await session.execute(TRANSACTION_ID)).scalar_one()

    assert second == first
