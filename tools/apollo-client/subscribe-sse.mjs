// Apollo Client subscribing through the gateway over GraphQL over Server-Sent Events
// ("distinct connections" mode, the graphql-sse client behind an ApolloLink): prints the
// data of the first COUNT results as one JSON array, for
// tests/gateway/test_subscriptions_apollo_client.py.
//
//   node subscribe-sse.mjs URL QUERY VARIABLES_JSON COUNT [TOKEN]
import { ApolloClient, ApolloLink, InMemoryCache, Observable, gql } from "@apollo/client/core/index.js";
import { print } from "graphql";
import { createClient } from "graphql-sse";

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

const results = [];
const finish = (code) => {
  sseClient.dispose();
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
