#!/bin/sh
# The image's entrypoint: the first argument picks the role.
#
#   gateway [ARGS]          the gateway alone, for the subgraphs in SHOPGRAPH_SUBGRAPH_URLS
#   subgraph NAME [ARGS]    one domain's subgraph (users, products, carts, orders, payments)
#   platform [ARGS]         every subgraph and the gateway in one process (small installs)
#   migrate [up|down|status] [ARGS]   Alembic, every domain (default: up)
#   worker [DOMAIN...]      background workers only (relays, consumers, sweepers; default
#                           every domain), with /health, /ready and /metrics on PORT
#   db backup|restore FILE  pg_dump / pg_restore of DATABASE_URL (custom format)
#   healthcheck             exit 0 when GET /health on PORT answers 200 (the HEALTHCHECK)
#   anything else           run as given: `shopgraph seed ...`, `sh`, ...
set -eu

host="${SHOPGRAPH_HOST:-0.0.0.0}"
role="${1:-gateway}"
if [ "$#" -gt 0 ]; then
    shift
fi

fail() {
    echo "shopgraph-entrypoint: $*" >&2
    exit 64
}

case "$role" in
    gateway)
        [ -n "${SHOPGRAPH_SUBGRAPH_URLS:-}" ] ||
            fail "gateway: set SHOPGRAPH_SUBGRAPH_URLS (users=http://users:8000/graphql,...)"
        exec shopgraph serve --host "$host" --subgraph-urls "$SHOPGRAPH_SUBGRAPH_URLS" "$@"
        ;;
    subgraph)
        [ "$#" -gt 0 ] || fail "subgraph: name the domain (subgraph users)"
        name="$1"
        shift
        exec shopgraph subgraph "$name" --host "$host" --no-migrate "$@"
        ;;
    platform)
        exec shopgraph serve --host "$host" --no-seed "$@"
        ;;
    migrate)
        if [ "$#" -eq 0 ]; then
            set -- up
        fi
        exec shopgraph migrate "$@"
        ;;
    worker)
        # Probes and Prometheus need a port; GraphQL is not served there.
        exec shopgraph worker --host "$host" --port "${PORT:-8000}" "$@"
        ;;
    db)
        exec shopgraph db "$@"
        ;;
    healthcheck)
        exec python -c 'import os, sys, urllib.request
url = "http://127.0.0.1:%s/health" % os.environ.get("PORT", "8000")
try:
    sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)
except Exception as error:
    print("unhealthy: %s" % error, file=sys.stderr)
    sys.exit(1)'
        ;;
    *)
        exec "$role" "$@"
        ;;
esac
