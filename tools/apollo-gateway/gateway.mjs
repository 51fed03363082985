// Serves a supergraph with Apollo Gateway (@apollo/gateway on @apollo/server), the
// reference our own Python gateway is compared against in differential tests.
//
// Usage: node gateway.mjs --supergraph PATH.graphql [--port N] [--host H]
//                         [--subgraph-timeout-ms MS] [--forward-header NAME ...]
//
// Subgraph URLs are the supergraph's own `@join__graph(name:, url:)` values. Port 0
// (the default) lets the OS pick a free port; either way, once listening the process
// prints exactly one line `READY <port>` to stdout, and it shuts down cleanly on
// SIGTERM or SIGINT.
//
// Apollo's defaults are kept wherever they shape responses (error `path`, `locations`
// and `extensions`, including the gateway's own codes), with these exceptions:
//   - no landing page and no CSRF prevention, so plain JSON POSTs from tests work;
//   - introspection on, whatever NODE_ENV says (the harness also unsets NODE_ENV);
//   - no stack traces in error extensions: they name node internals and file
//     paths, and would differ between runs and machines;
//   - no client header reaches a subgraph (Apollo's default) unless named with
//     --forward-header (the bench forwards `authorization` for its checkouts);
//   - the experimental query-plan header is honoured whatever NODE_ENV says: send
//     `Apollo-Query-Plan-Experimental: 1` and the response's
//     `extensions.__queryPlanExperimental` holds the pretty-printed plan.
//
// It is driven by tests/support/apollo_gateway.py; keep the READY line in step with it.

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { startStandaloneServer } from "@apollo/server/standalone";

const EXIT_USAGE = 2;

function usage(message) {
  process.stderr.write(
    `gateway.mjs: ${message}\n` +
      "usage: node gateway.mjs --supergraph PATH.graphql [--port N] [--host H] " +
      "[--subgraph-timeout-ms MS] [--forward-header NAME ...]\n",
  );
  process.exit(EXIT_USAGE);
}

function nonNegativeInt(name, text) {
  if (!/^\d+$/.test(text)) {
    usage(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        supergraph: { type: "string" },
        port: { type: "string", default: "0" },
        host: { type: "string", default: "127.0.0.1" },
        "subgraph-timeout-ms": { type: "string" },
        "forward-header": { type: "string", multiple: true, default: [] },
      },
      strict: true,
    }));
  } catch (error) {
    usage(error.message);
  }
  if (!values.supergraph) {
    usage("--supergraph is required");
  }
  const timeout = values["subgraph-timeout-ms"];
  return {
    supergraphPath: values.supergraph,
    port: nonNegativeInt("port", values.port),
    host: values.host,
    subgraphTimeoutMs: timeout === undefined ? null : nonNegativeInt("subgraph-timeout-ms", timeout),
    forwardHeaders: values["forward-header"].map((name) => name.toLowerCase()),
  };
}

// The data source Apollo would build anyway (its make-fetch-happen fetcher, no
// retries), with an optional per-request timeout that fetcher understands, copying the
// named client headers (kept in the request context below) onto each subgraph request.
function buildService(subgraphTimeoutMs, forwardHeaders) {
  class ForwardingDataSource extends RemoteGraphQLDataSource {
    willSendRequest({ request, context }) {
      for (const name of forwardHeaders) {
        const value = context?.clientHeaders?.[name];
        if (typeof value === "string") {
          request.http.headers.set(name, value);
        }
      }
    }
  }
  return ({ url }) => {
    const dataSource = forwardHeaders.length
      ? new ForwardingDataSource({ url })
      : new RemoteGraphQLDataSource({ url });
    if (subgraphTimeoutMs !== null) {
      const fetcher = dataSource.fetcher;
      dataSource.fetcher = (input, init) => fetcher(input, { ...init, timeout: subgraphTimeoutMs });
    }
    return dataSource;
  };
}

async function main() {
  const { supergraphPath, port, host, subgraphTimeoutMs, forwardHeaders } = options();
  let supergraphSdl;
  try {
    supergraphSdl = await readFile(supergraphPath, "utf8");
  } catch (error) {
    usage(`cannot read the supergraph: ${error.message}`);
  }

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: buildService(subgraphTimeoutMs, forwardHeaders),
    __exposeQueryPlanExperimental: true,
  });
  const server = new ApolloServer({
    gateway,
    csrfPrevention: false,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    plugins: [ApolloServerPluginLandingPageDisabled()],
    // Handled below, the same way whatever NODE_ENV is (Apollo skips it under "test").
    stopOnTerminationSignals: false,
  });
  const { url } = await startStandaloneServer(server, {
    listen: { port, host },
    context: async ({ req }) => ({ clientHeaders: req.headers }),
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await server.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  process.stdout.write(`READY ${new URL(url).port}\n`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`gateway.mjs: failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
}
