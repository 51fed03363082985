// Apollo Client subscribing through the gateway over graphql-ws (GraphQLWsLink and the
// graphql-ws client): prints the data of the first COUNT results as one JSON array, for
// tests/gateway/test_subscriptions_apollo_client.py.
//
//   node subscribe.mjs WS_URL QUERY VARIABLES_JSON COUNT [TOKEN]
import { ApolloClient, InMemoryCache } from "@apollo/client/core/index.js";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions/index.js";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { printResults } from "./print-results.mjs";

const [url, query, variablesJson, countText, token] = process.argv.slice(2);
const count = Number(countText);
const wsClient = createClient({
  url,
  connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  retryAttempts: 0,
  // Node before 22 has no global WebSocket.
  webSocketImpl: WebSocket,
});
const client = new ApolloClient({
  link: new GraphQLWsLink(wsClient),
  cache: new InMemoryCache({ addTypename: false }),
});

printResults(client, query, variablesJson, count, () => wsClient.dispose());
