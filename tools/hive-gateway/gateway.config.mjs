// Hive Gateway as bench/run.py runs it. Its HTTP transport merges identical in-flight
// subgraph queries by default; every client of the bench sends the same body, so that
// would let one subgraph fetch answer many gateway requests and measure the merge rather
// than the gateway. Every gateway measured must make its own subgraph fetches.
//
// Client headers reach no subgraph unless propagated: the bench's checkouts need the
// shopper's `authorization` at the carts and orders subgraphs, as every gateway measured
// forwards it.
export const gatewayConfig = {
  transportEntries: {
    "*": { options: { deduplicateInflightRequests: false } },
  },
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const authorization = request.headers.get("authorization");
      return authorization ? { authorization } : {};
    },
  },
};
