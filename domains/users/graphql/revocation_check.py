"""Settling, from the users domain's own record, a token Redis could not vouch for.

The users subgraph never refuses a signed-in request because Redis is down, and never
accepts one without a check: see domains/kit/revocation.py.
"""

from __future__ import annotations

import logging
from typing import Any

from strawberry.types import ExecutionResult

from domains.kit.graphql.context import RequestContext
from domains.kit.graphql.errors import FederatedSchema
from domains.kit.revocation import Verdict
from domains.users.revocations import copy_record_to_cache, is_revoked_in_record

logger = logging.getLogger("shopgraph.auth")


async def settle_from_record(context: RequestContext[Any]) -> None:
    """Decide from the record a token Redis could not vouch for; when Redis answered
    without its marker, put the record back into it."""
    if context.unverified is None:
        return
    viewer, verdict = context.unverified
    try:
        revoked = await is_revoked_in_record(
            context.resources, viewer.token_id or "", viewer.session_id
        )
    except Exception:
        logger.exception("the revocation record could not be read")
        context.settle_token_check(revoked=None)
        return
    context.settle_token_check(revoked=revoked)
    if verdict is Verdict.INCOMPLETE:
        try:
            await copy_record_to_cache(context.resources)
        except Exception as error:  # the worker tries again
            logger.warning("could not copy the revocations into Redis: %s", error)


class UsersSchema(FederatedSchema):
    """The users schema: a token Redis could not vouch for is settled from the record
    before the operation runs (every way in, HTTP or in-process, goes through here)."""

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        context = kwargs.get("context_value", args[2] if len(args) > 2 else None)
        if isinstance(context, RequestContext):
            await settle_from_record(context)
        return await super().execute(*args, **kwargs)
