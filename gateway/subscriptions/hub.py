"""The gateway's live subscription connections: who each belongs to, what each may hold,
and how each ends.

A connection (a graphql-ws WebSocket or an SSE stream) is authenticated once, when it
opens, and closed when its token expires. Each subscription is refused when it breaks
the document limits, the cost limit, the caller's rate limit, or the number of
subscriptions one connection or one user may hold. Every message for the client goes
through the connection's bounded outbox: a client too slow to take them is dropped, not
buffered for without bound. On shutdown every connection is told so and closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gateway.callers import Caller, Credentials
from gateway.errors import Refusal, mask_errors
from gateway.federation.operations import PreparedOperation
from gateway.federation.plan import PlanningError
from gateway.pipeline import Pipeline, forwarded_headers
from gateway.protocol import GraphQLParams
from gateway.subscriptions.runner import SubscriptionPlan, SubscriptionRunner

logger = logging.getLogger("shopgraph.gateway")

# Close codes (graphql-transport-ws's own, and WebSocket's).
GOING_AWAY = 1001
TRY_AGAIN_LATER = 1013
FORBIDDEN = 4403


@dataclass(frozen=True)
class SubscriptionLimits:
    per_connection: int = 20
    per_user: int = 100
    # Messages held for one client before it counts as too slow and is dropped.
    outbox_size: int = 256
    # graphql-ws: how long a connection may stay open before its connection_init.
    init_timeout_seconds: float = 10.0
    # How long shutdown waits for connections to say goodbye.
    drain_seconds: float = 5.0


@dataclass(frozen=True)
class Close:
    code: int
    reason: str


Outgoing = (
    tuple[Literal["pong"], str, None]
    | tuple[Literal["next"], str, dict[str, Any]]
    | tuple[Literal["error"], str, list[dict[str, Any]]]
    | tuple[Literal["complete"], str, None]
    | Close
)


@dataclass(eq=False)
class Connection:
    """One client connection: its caller, its bounded outbox and its subscriptions."""

    caller: Caller
    user: str
    request_id: str
    headers: dict[str, str]
    outbox: asyncio.Queue[Outgoing]
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    closing: Close | None = None
    # Set when the client is dropped without its queued messages (it is too slow).
    abandoned: asyncio.Event = field(default_factory=asyncio.Event)
    _expiry: asyncio.TimerHandle | None = None

    def send(self, message: Outgoing) -> None:
        if self.closing is not None:
            return
        try:
            self.outbox.put_nowait(message)
        except asyncio.QueueFull:
            self.close(
                TRY_AGAIN_LATER,
                f"The client did not keep up: {self.outbox.maxsize} messages were waiting.",
                flush=False,
            )

    def close(self, code: int, reason: str, *, flush: bool = True) -> None:
        """End the connection: the messages already queued go first when `flush`."""
        if self.closing is not None:
            return
        self.closing = Close(code, reason)
        if self._expiry is not None:
            self._expiry.cancel()
        for task in self.tasks.values():
            task.cancel()
        if not flush:
            self.abandoned.set()
        if not flush or self.outbox.full():
            while not self.outbox.empty():
                self.outbox.get_nowait()
        self.outbox.put_nowait(self.closing)


class SubscriptionHub:
    def __init__(
        self,
        pipeline: Pipeline,
        runner: SubscriptionRunner,
        limits: SubscriptionLimits | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.runner = runner
        self.limits = limits or SubscriptionLimits()
        self.connections: set[Connection] = set()
        self._per_user: Counter[str] = Counter()
        self.draining = False
        self._all_gone = asyncio.Event()

    # -- connections ---------------------------------------------------------------

    async def connect(
        self, credentials: Credentials, headers: Mapping[str, str], request_id: str
    ) -> Connection:
        """An authenticated connection, or Refusal (a bad or expired token)."""
        if self.draining:
            raise Refusal.of(
                "The gateway is shutting down; reconnect shortly.",
                "SERVICE_UNAVAILABLE",
                status=503,
                headers={"Retry-After": "1"},
            )
        caller = await self.pipeline.edge.callers.identify(credentials)
        user = caller.token.subject if caller.token is not None else f"ip:{caller.ip}"
        forwarded = forwarded_headers(headers, request_id, caller.ip)
        if credentials.authorization is not None:
            # graphql-ws clients send the token in connection_init, not as a header.
            forwarded["authorization"] = credentials.authorization
        connection = Connection(
            caller, user, request_id, forwarded, asyncio.Queue(self.limits.outbox_size)
        )
        expires = caller.token.claims.get("exp") if caller.token is not None else None
        if isinstance(expires, int | float):
            delay = max(0.0, float(expires) - time.time())
            connection._expiry = asyncio.get_running_loop().call_later(
                delay, connection.close, FORBIDDEN, "The access token has expired."
            )
        self.connections.add(connection)
        return connection

    def disconnect(self, connection: Connection) -> None:
        connection.close(GOING_AWAY, "The client went away.", flush=False)
        self.connections.discard(connection)
        if not self.connections:
            self._all_gone.set()

    # -- subscriptions -------------------------------------------------------------

    async def subscribe(
        self, connection: Connection, operation_id: str, params: GraphQLParams
    ) -> None:
        """Start one subscription on the connection, or Refusal saying why not."""
        resolved = await self.pipeline.edge.documents.resolve(params, connection.caller.partner)
        prepared = self.pipeline.prepare(
            resolved.query,
            params.variables,
            params.operation_name,
            allowed_operations=("subscription",),
        )
        self._check_counts(connection)
        await self.pipeline.admit(prepared, connection.caller)
        try:
            planned = self.runner.plan(prepared)
        except PlanningError as error:
            raise Refusal.of(str(error), "QUERY_PLANNING_FAILED", status=400) from None
        self._check_counts(connection)  # again: admitting awaited
        self._per_user[connection.user] += 1
        task = asyncio.create_task(self._run(connection, operation_id, planned, prepared))
        connection.tasks[operation_id] = task
        task.add_done_callback(lambda _task: self._release(connection, operation_id))

    def _release(self, connection: Connection, operation_id: str) -> None:
        connection.tasks.pop(operation_id, None)
        self._per_user[connection.user] -= 1
        if self._per_user[connection.user] <= 0:
            del self._per_user[connection.user]

    def unsubscribe(self, connection: Connection, operation_id: str) -> None:
        task = connection.tasks.get(operation_id)
        if task is not None:
            task.cancel()

    def _check_counts(self, connection: Connection) -> None:
        limits = self.limits
        if len(connection.tasks) >= limits.per_connection:
            raise Refusal.of(
                f"This connection already holds {len(connection.tasks)} subscriptions; the "
                f"limit is {limits.per_connection}. Complete one first.",
                "TOO_MANY_SUBSCRIPTIONS",
                status=429,
                limit=limits.per_connection,
                scope="connection",
            )
        held = self._per_user[connection.user]
        if held >= limits.per_user:
            raise Refusal.of(
                f"This user already holds {held} subscriptions; the limit is "
                f"{limits.per_user}. Complete some first.",
                "TOO_MANY_SUBSCRIPTIONS",
                status=429,
                limit=limits.per_user,
                scope="user",
            )

    async def _run(
        self,
        connection: Connection,
        operation_id: str,
        planned: SubscriptionPlan,
        prepared: PreparedOperation,
    ) -> None:
        production = self.pipeline.edge.production
        try:
            async for payload in self.runner.events(planned, prepared, connection.headers):
                if production and payload.get("errors"):
                    payload["errors"] = mask_errors(payload["errors"], connection.request_id)
                connection.send(("next", operation_id, payload))
            connection.send(("complete", operation_id, None))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("subscription %s failed", connection.request_id)
            error = {"message": "Internal server error.", "extensions": {"code": "INTERNAL"}}
            connection.send(("error", operation_id, mask_errors([error], connection.request_id)))

    # -- shutdown ------------------------------------------------------------------

    async def drain(self) -> None:
        """Tell every connection the gateway is going away, and wait for them to go."""
        self.draining = True
        connections = list(self.connections)
        for connection in connections:
            connection.close(GOING_AWAY, "The gateway is shutting down.")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.limits.drain_seconds):
                if self.connections:
                    self._all_gone.clear()
                    await self._all_gone.wait()
