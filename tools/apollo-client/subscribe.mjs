// Apollo Client subscribing through the gateway over graphql-ws (GraphQLWsLink and the
// graphql-ws client): prints the data of the first COUNT results as one JSON array, for
// tests/gateway/test_subscriptions_apollo_client.py.
//
//   node subscribe.mjs WS_URL QUERY VARIABLES_JSON COUNT [TOKEN]
import { ApolloClient, InMemoryCache, gql } from "@apollo/client/core/index.js";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions/index.js";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

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

const results = [];
const finish = async (code) => {
  await wsClient.dispose();
  process.stdout.write(JSON.stringify(results));
  process.exit(code);
};
const subscription = client
  .subscribe({ query: gql(query), variables: JSON.parse(variablesJson) })
  .subscribe({
    next: (result) => {
      results.push(result.errors ? { errors: result.errors } : { data: result.data });
      if (results.length >= count) {
        subscription.unsubscribe();
        finish(0);
      }
    },
    error: (error) => {
      results.push({ error: String(error?.message ?? error) });
      finish(1);
    },
    complete: () => finish(results.length >= count ? 0 : 1),
  });
