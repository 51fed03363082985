"""Serving an ASGI app with uvicorn, in one process or in several forked from one.

A Python process executes on one core at a time; on a machine with more, one process
per core serves more requests. `serve(app, ..., workers=N)` binds the listening socket
once, then forks N workers from the same parent, each running uvicorn on that socket
(the kernel spreads accepted connections between them).

Forked rather than spawned (uvicorn's own `--workers` spawns fresh interpreters that
import the app by name): the app is built once, before the fork, so the schemas,
composed supergraph and query plans are shared copy-on-write, start-up costs one build,
and anything the parent installed (logging, tracing, the collector's frozen heap)
carries over. Nothing that holds a socket or an event loop exists before the fork: the
apps open their database and Redis pools in their lifespan, which runs in each worker.

The parent only supervises. SIGTERM or SIGINT is passed on to every worker, each drains
as a single uvicorn does, and the parent exits 0 once all have. A worker that dies while
the others serve is replaced; one that dies before its app has started (a start-up
failure, such as a database that does not answer) stops the whole group with its exit
status, because a replacement would fail the same way. Each worker tells the parent
that it has started through a pipe of its own, so the parent knows which case it is.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from types import FrameType
from typing import Any

from shopgraph.logs import uvicorn_log_level

logger = logging.getLogger("shopgraph")

# Exit status of a uvicorn whose lifespan start-up failed (uvicorn's STARTUP_FAILURE).
STARTUP_FAILURE = 3


def serve(
    app: Any,
    *,
    host: str,
    port: int,
    workers: int = 1,
    before_worker: Callable[[int], None] | None = None,
) -> int:
    """Serve `app` until signalled; returns the exit status.

    `before_worker(index)` runs in each worker just after the fork (index 0 to N-1, the
    same index again for a replacement), so a worker can take on a role of its own.
    """
    import uvicorn

    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if workers == 1:
        if before_worker is not None:
            before_worker(0)
        uvicorn.run(app, host=host, port=port, log_level=uvicorn_log_level(), lifespan="on")
        return 0
    listener = _listen(host, port)
    return _supervise(app, listener, workers, before_worker)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(2048)
    listener.set_inheritable(True)
    return listener


def _run_worker(
    app: Any,
    listener: socket.socket,
    index: int,
    before_worker: Callable[[int], None] | None,
    started_pipe: int,
) -> int:
    import uvicorn

    class Worker(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                os.write(started_pipe, b"1")
                os.close(started_pipe)

    # The parent's handlers forward signals to workers. uvicorn handles a worker's own
    # while it serves (a graceful drain), then raises the signal again once it has
    # drained: the handler below turns that into a clean exit.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_cleanly)
    if before_worker is not None:
        before_worker(index)
    server = Worker(uvicorn.Config(app, log_level=uvicorn_log_level(), lifespan="on"))
    server.run(sockets=[listener])
    return 0 if server.started else STARTUP_FAILURE


def _supervise(
    app: Any,
    listener: socket.socket,
    workers: int,
    before_worker: Callable[[int], None] | None,
) -> int:
    children: dict[int, tuple[int, int]] = {}  # pid -> (worker index, its started pipe)
    stopping = False
    status = 0

    def fork(index: int) -> None:
        # Buffered output would be written twice, once by each process that holds it.
        sys.stdout.flush()
        sys.stderr.flush()
        started_read, started_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(started_read)
            code = 1
            try:
                code = _run_worker(app, listener, index, before_worker, started_write)
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                # Not sys.exit: the parent's atexit handlers (embedded servers it
                # started, for one) are the parent's to run.
                os._exit(code)
        # Closed here at once, so that the read end sees end-of-file when this worker
        # exits (no later worker inherits it).
        os.close(started_write)
        children[pid] = (index, started_read)

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            logger.info("stopping %d workers (%s)", len(children), signal.Signals(signum).name)
        stopping = True
        for pid in children:
            _signal(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(workers):
        fork(index)
    logger.info("serving with %d worker processes (pids %s)", workers, sorted(children))
    while children:
        try:
            pid, wait_status = os.wait()
        except ChildProcessError:
            break
        if pid not in children:
            continue  # another child of this process (an embedded server it started)
        index, started_pipe = children.pop(pid)
        code = os.waitstatus_to_exitcode(wait_status)
        had_started = os.read(started_pipe, 1) == b"1"
        os.close(started_pipe)
        if stopping:
            status = status or (code if code > 0 else 0)
            continue
        if not had_started:
            logger.error("worker %d (pid %d) failed to start (exit %s); stopping", index, pid, code)
            status = code if code > 0 else 1
            stop(signal.SIGTERM, None)
            continue
        logger.error("worker %d (pid %d) exited (%s); starting a replacement", index, pid, code)
        fork(index)
    listener.close()
    return status


def _exit_cleanly(_signum: int, _frame: FrameType | None) -> None:
    sys.exit(0)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone, and waited for below
        os.kill(pid, signum)
