// Apollo Client subscribing through the gateway over GraphQL over Server-Sent Events
// ("distinct connections" mode, the graphql-sse client behind an ApolloLink): prints the
// data of the first COUNT results as one JSON array, for
// tests/gateway/test_subscriptions_apollo_client.py.
//
//   node subscribe-sse.mjs URL QUERY VARIABLES_JSON COUNT [TOKEN]
import { ApolloClient, ApolloLink, InMemoryCache, Observable } from "@apollo/client/core/index.js";
import { print } from "graphql";
import { createClient } from "graphql-sse";

import { printResults } from "./print-results.mjs";

const [url, query, variablesJson, countText, token] = process.argv.slice(2);
const count = Number(countText);
const sseClient = createClient({
  url,
  headers: token ? { authorization: `Bearer ${token}` } : {},
  retryAttempts: 0,
});

// The link the graphql-sse documentation gives for Apollo Client.
class ServerSentEventsLink extends ApolloLink {
  request(operation) {
    return new Observable((sink) =>
      sseClient.subscribe(
        { ...operation, query: print(operation.query) },
        {
          next: sink.next.bind(sink),
          complete: sink.complete.bind(sink),
          error: sink.error.bind(sink),
        },
      ),
    );
  }
}

const client = new ApolloClient({
  link: new ServerSentEventsLink(),
  cache: new InMemoryCache({ addTypename: false }),
});

printResults(client, query, variablesJson, count, async () => sseClient.dispose());
