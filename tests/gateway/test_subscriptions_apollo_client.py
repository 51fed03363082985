"""Apollo Client (npm `@apollo/client`, in Node) subscribes through our gateway over
graphql-ws (`graphql-ws`) and over Server-Sent Events (`graphql-sse`), and gets the same
events as our own client."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest

from tests.gateway.edge import REPO_ROOT, serve_app
from tests.support.apollo import default_toolchain, ensure_npm_packages
from tests.support.subscription_subgraphs import fixture_gateway
from tests.support.subscriptions import graphql_ws

TOOLS_DIR = REPO_ROOT / "tools" / "apollo-client"
TICKS = "subscription($count: Int!) { ticks(count: $count) { n label } }"


@pytest.mark.parametrize(
    ("script", "scheme"),
    [
        pytest.param("subscribe.mjs", "ws", id="graphql-ws"),
        pytest.param("subscribe-sse.mjs", "http", id="server-sent-events"),
    ],
)
async def test_apollo_client_gets_every_event(script: str, scheme: str) -> None:
    """Over graphql-ws (GraphQLWsLink) and over Server-Sent Events (an ApolloLink over
    `graphql-sse`, distinct connections mode): the events our own client gets."""
    toolchain = default_toolchain()
    ensure_npm_packages(TOOLS_DIR, toolchain)
    with serve_app(fixture_gateway(), ws="auto") as url:
        endpoint = url.replace("http://", f"{scheme}://") + "/graphql"
        # Off the event loop: a test coroutine must not block it.
        process = await asyncio.to_thread(
            subprocess.run,
            [toolchain[0], str(TOOLS_DIR / script), endpoint, TICKS, '{"count": 3}', "3"],
            cwd=TOOLS_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        async with graphql_ws(url + "/graphql") as client:
            await client.subscribe("1", TICKS, {"count": 3})
            ours, _ending = await client.until_done("1")
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout) == ours
    assert ours == [{"data": {"ticks": {"n": n, "label": f"label of t{n}"}}} for n in range(3)]
