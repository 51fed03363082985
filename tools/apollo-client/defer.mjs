// Apollo Client against the gateway with @defer: the same query sent as written (the
// link asks for multipart/mixed;deferSpec=20220824 and Apollo Client merges the
// incremental parts) and with every @defer removed (one JSON answer). Prints, for each,
// the response's content type and the final data Apollo Client assembled, for
// tests/gateway/test_defer.py.
//
//   node defer.mjs GRAPHQL_URL QUERY_WITH_DEFER UPC
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";

const [url, deferredQuery, upc] = process.argv.slice(2);
const atOnceQuery = deferredQuery.replace(/@defer(\([^)]*\))?/g, "");

async function run(query) {
  const contentTypes = [];
  const recordingFetch = async (input, init) => {
    const response = await fetch(input, init);
    contentTypes.push(response.headers.get("content-type"));
    return response;
  };
  const client = new ApolloClient({
    link: new HttpLink({ uri: url, fetch: recordingFetch }),
    cache: new InMemoryCache(),
  });
  // query() settles on the last result, once every deferred part has been merged.
  const result = await client.query({
    query: gql(query),
    variables: { upc },
    fetchPolicy: "network-only",
  });
  return { contentType: contentTypes.join(", "), data: result.data, errors: result.errors ?? null };
}

const deferred = await run(deferredQuery);
const atOnce = await run(atOnceQuery);
console.log(JSON.stringify({ deferred, atOnce }));
