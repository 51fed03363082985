"""The README's run command, as a user runs it: a real process on a real port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from domains.kit.config import Settings
from shopgraph import backends
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]

REGISTER = """mutation { accountRegister(input: {email: "e2e@example.com",
  password: "a long passphrase", name: "End To End"}) { user { id } errors { code } } }"""
SIGN_IN = """mutation { tokenCreate(email: "e2e@example.com", password: "a long passphrase")
  { accessToken errors { code } } }"""


class Server:
    def __init__(
        self, env: dict[str, str], log: Path, command: tuple[str, ...] = ("serve",)
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log
        self._log_file = log.open("a")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "shopgraph.cli", *command, "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail(f"serve exited early:\n{self._log.read_text()}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"serve was not ready within {timeout}s:\n{self._log.read_text()}")

    def graphql(self, query: str, token: str | None = None) -> dict[str, object]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.url}/graphql", json={"query": query}, headers=headers, timeout=30
        )
        body: dict[str, object] = response.json()
        return body

    @property
    def pid(self) -> int:
        return self._process.pid

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, as an orchestrator stops it; the exit status."""
        self._process.send_signal(signal.SIGTERM)
        try:
            return self._process.wait(timeout=timeout)
        finally:
            self.stop()

    def stop(self) -> None:
        if self._process.poll() is not None:
            self._log_file.close()
            return
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        finally:
            self._log_file.close()


@pytest.fixture(params=["servers", "embedded"])
def serve_env(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> Iterator[dict[str, str]]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "JWT_"))
    }
    env.update(
        APP_ENV="development", SHOPGRAPH_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1"
    )
    if request.param == "embedded":
        # The fresh-machine path: no servers configured, everything under the data dir.
        env["SHOPGRAPH_EMBEDDED"] = "1"
        yield env
        return
    assert settings.database_url is not None
    assert settings.redis_url is not None
    server = backends.with_database(settings.database_url, "postgres")
    name = f"shopgraph_e2e_{uuid.uuid4().hex[:8]}"
    _admin(server, f'CREATE DATABASE "{name}"')
    env.update(
        DATABASE_URL=backends.with_database(server, name),
        REDIS_URL=settings.redis_url,
        REDIS_KEY_PREFIX=f"{settings.redis_key_prefix}e2e:",
    )
    try:
        yield env
    finally:
        _admin(server, f'DROP DATABASE "{name}" WITH (FORCE)')


def _admin(server: str, statement: str) -> None:
    import asyncio

    async def run() -> None:
        connection = await asyncpg.connect(server)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


@pytest.mark.slow
def test_serve_brings_up_graphiql_and_keeps_data_across_restarts(
    serve_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    first = Server(serve_env, log)
    try:
        first.wait_ready()
        page = httpx.get(f"{first.url}/graphql", headers={"Accept": "text/html"}, timeout=10)
        registered = first.graphql(REGISTER)
        token = first.graphql(SIGN_IN)["data"]["tokenCreate"]["accessToken"]  # type: ignore[index]
        me = first.graphql("{ me { name email } }", token)
        demo = first.graphql('{ seller(slug: "x") { id } sellers(first: 1) { totalCount } }')
    finally:
        first.stop()

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert registered == {
        "data": {
            "accountRegister": {"user": registered["data"]["accountRegister"]["user"], "errors": []}
        }
    }  # type: ignore[index]
    assert me == {"data": {"me": {"name": "End To End", "email": "e2e@example.com"}}}
    assert demo["data"]["sellers"]["totalCount"] > 0  # type: ignore[index]

    second = Server(serve_env, log)
    try:
        second.wait_ready()
        # Same account, and the token minted before the restart still verifies: the
        # generated key pair was kept under the data directory, not regenerated.
        me_again = second.graphql("{ me { name } }", token)
        sign_in_again = second.graphql(SIGN_IN)
    finally:
        second.stop()

    assert me_again == {"data": {"me": {"name": "End To End"}}}
    assert sign_in_again["data"]["tokenCreate"]["errors"] == []  # type: ignore[index]
    assert "demo data: already present" in log.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("serve_env", ["servers"], indirect=True)
def test_a_subgraph_runs_alone(serve_env: dict[str, str], tmp_path: Path) -> None:
    server = Server(serve_env, tmp_path / "subgraph.log", command=("subgraph", "users"))
    try:
        server.wait_ready()
        sdl = server.graphql("{ _service { sdl } }")
        ready = httpx.get(f"{server.url}/ready", timeout=5).json()
    finally:
        server.stop()

    assert 'type User @key(fields: "id")' in sdl["data"]["_service"]["sdl"]  # type: ignore[index]
    assert ready["status"] == "ready"


@pytest.mark.slow
@pytest.mark.parametrize("serve_env", ["servers"], indirect=True)
def test_serve_answers_graphql_at_the_path_given(serve_env: dict[str, str], tmp_path: Path) -> None:
    server = Server(
        serve_env, tmp_path / "serve.log", command=("serve", "--no-seed", "--path", "/")
    )
    try:
        server.wait_ready()
        at_root = httpx.post(server.url + "/", json={"query": "{ categories { id } }"}, timeout=30)
        at_default = httpx.post(f"{server.url}/graphql", json={"query": "{ __typename }"})
    finally:
        server.stop()

    assert at_root.status_code == 200
    assert at_root.json() == {"data": {"categories": []}}
    assert at_default.status_code == 404


def _production_env(serve_env: dict[str, str], settings: Settings) -> dict[str, str]:
    assert settings.jwt_private_key is not None
    assert settings.jwt_public_key is not None
    return {
        **serve_env,
        "APP_ENV": "production",
        "JWT_PRIVATE_KEY": settings.jwt_private_key,
        "JWT_PUBLIC_KEY": settings.jwt_public_key,
        "STRIPE_API_KEY": "sk_test_serve_production",
        "STRIPE_WEBHOOK_SECRET": "whsec_serve_production",
        "SUBGRAPH_TOKEN": "s" * 40,
        "METRICS_TOKEN": "m" * 40,
    }


_SECURITY_HEADERS = ("x-content-type-options", "strict-transport-security", "referrer-policy")


@pytest.mark.slow
@pytest.mark.parametrize("serve_env", ["servers"], indirect=True)
def test_production_processes_keep_the_edge_shut(
    serve_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    env = _production_env(serve_env, settings)
    platform = Server(env, tmp_path / "serve.log", command=("serve", "--no-seed"))
    token = {"x-shopgraph-gateway-token": env["SUBGRAPH_TOKEN"]}
    introspect = {"query": "{ __schema { types { name } } }"}
    subgraph: Server | None = None
    try:
        platform.wait_ready()  # migrated by serve: the subgraph starts on the same schema
        subgraph = Server(
            env, tmp_path / "subgraph.log", command=("subgraph", "products", "--no-migrate")
        )
        subgraph.wait_ready()
        mounted = httpx.post(f"{platform.url}/subgraphs/products/graphql", json=introspect)
        gateway = httpx.post(f"{platform.url}/graphql", json=introspect)
        graphiql = httpx.get(f"{platform.url}/graphql", headers={"accept": "text/html"})
        platform_metrics = httpx.get(f"{platform.url}/metrics")
        anonymous = httpx.post(f"{subgraph.url}/graphql", json=introspect)
        as_gateway = httpx.post(f"{subgraph.url}/graphql", json=introspect, headers=token)
        subgraph_metrics = httpx.get(f"{subgraph.url}/metrics")
        log = (tmp_path / "serve.log").read_text()
    finally:
        platform.stop()
        if subgraph is not None:
            subgraph.stop()

    assert mounted.status_code == 404
    assert gateway.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    assert graphiql.status_code == 406
    assert platform_metrics.status_code == 401
    assert anonymous.status_code == 401
    assert as_gateway.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    assert subgraph_metrics.status_code == 401
    for response in (gateway, anonymous, as_gateway, subgraph_metrics):
        for header in _SECURITY_HEADERS:
            assert header in response.headers
    assert "GraphiQL" not in log
    assert "shopgraph-demo" not in log


@pytest.mark.parametrize("serve_env", ["servers"], indirect=True)
def test_production_refuses_demo_data_and_a_subgraph_without_a_token(
    serve_env: dict[str, str], settings: Settings
) -> None:
    env = _production_env(serve_env, settings)
    without_token = {k: v for k, v in env.items() if k != "SUBGRAPH_TOKEN"}

    def run(command: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "shopgraph.cli", *command],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    serve = run(["serve"], env)
    seed = run(["seed"], env)
    subgraph = run(["subgraph", "products", "--no-migrate"], without_token)

    assert serve.returncode == 2
    assert "demo data is refused in production" in serve.stderr
    assert "--no-seed" in serve.stderr
    assert seed.returncode == 2
    assert "demo data is refused in production" in seed.stderr
    assert subgraph.returncode == 2
    assert "SUBGRAPH_TOKEN" in subgraph.stderr


def test_a_graphql_path_must_be_a_path(capsys: pytest.CaptureFixture[str]) -> None:
    from shopgraph.cli import main

    for command in (["serve"], ["gateway", "--supergraph", "supergraph.graphql"]):
        with pytest.raises(SystemExit) as exit_:
            main([*command, "--path", "graphql"])
        assert exit_.value.code == 2
        assert "the GraphQL path must start with '/' (got 'graphql')" in capsys.readouterr().err


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return sorted(int(child) for child in text.split())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].splitlines()[0]
    except (OSError, IndexError):
        return "zombie"


def _worker_pids(log: Path) -> list[int]:
    """Which processes started the background workers, by their start-up log line."""
    return [
        int(line.split("process ", 1)[1].split()[0])
        for line in log.read_text().splitlines()
        if " runs " in line and "background workers:" in line
    ]


def _eventually(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


@pytest.mark.slow
@pytest.mark.parametrize("serve_env", ["servers"], indirect=True)
def test_serve_with_two_workers_shares_the_port_and_replaces_a_dead_worker(
    serve_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    server = Server(serve_env, log, command=("serve", "--no-seed", "--workers", "2"))
    try:
        server.wait_ready()
        workers = _children(server.pid)
        answers = [server.graphql("{ sellers(first: 1) { totalCount } }") for _ in range(6)]

        os.kill(workers[1], signal.SIGKILL)
        assert _eventually(
            lambda: len(_children(server.pid)) == 2 and workers[1] not in _children(server.pid)
        ), server._log.read_text()
        replaced = _children(server.pid)
        server.wait_ready()
        after = server.graphql("{ sellers(first: 1) { totalCount } }")
        status = server.terminate()
    finally:
        server.stop()

    assert len(workers) == 2
    assert answers == [{"data": {"sellers": {"totalCount": 0}}}] * 6
    # The background workers run in the first process only, and its replacement
    # (had it been the one killed) would start them again.
    assert _worker_pids(log) == [workers[0]], log.read_text()
    assert workers[0] in replaced
    assert after == answers[0]
    assert status == 0
    assert not any(_alive(pid) for pid in replaced)
    assert "starting a replacement" in log.read_text()


FAILING_START = """
import contextlib, sys
from starlette.applications import Starlette
from shopgraph.serving import serve

@contextlib.asynccontextmanager
async def lifespan(app):
    raise RuntimeError("the database does not answer")
    yield

sys.exit(serve(Starlette(lifespan=lifespan), host="127.0.0.1", port=int(sys.argv[1]), workers=2))
"""


@pytest.mark.slow
def test_workers_that_cannot_start_stop_the_group_with_uvicorns_start_up_status() -> None:
    finished = subprocess.run(
        [sys.executable, "-c", FAILING_START, str(free_port())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 3, finished.stderr
    assert "the database does not answer" in finished.stderr
    assert "failed to start" in finished.stderr
    assert "starting a replacement" not in finished.stderr


def test_workers_must_be_a_positive_whole_number(capsys: pytest.CaptureFixture[str]) -> None:
    from shopgraph.cli import main

    for bad, reason in (("0", "must be at least 1"), ("two", "not a whole number")):
        with pytest.raises(SystemExit) as exit_:
            main(["serve", "--workers", bad])
        assert exit_.value.code == 2
        assert reason in capsys.readouterr().err
