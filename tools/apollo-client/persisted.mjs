// Apollo Client against the gateway: automatic persisted queries with GET for hashed
// queries, then a partner whose link sends only ids from its manifest, then the same
// partner trying a query of its own. Prints one JSON object describing every HTTP
// exchange (method, whether the document was sent, status, Cache-Control, error codes)
// and the data each query returned, for tests/gateway/test_persisted_queries_client.py.
//
//   node persisted.mjs GRAPHQL_URL MANIFEST_JSON PARTNER_API_KEY
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";
import { getOperationName } from "@apollo/client/utilities/index.js";

const [url, manifestPath, apiKey] = process.argv.slice(2);
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

const exchanges = [];
async function recordingFetch(input, init = {}) {
  const response = await fetch(input, init);
  let body = null;
  try {
    body = await response.clone().json();
  } catch {
    body = null;
  }
  const sent = init.body ? JSON.parse(init.body) : {};
  exchanges.push({
    method: init.method || "GET",
    sentDocument: Boolean(sent.query) || new URL(String(input)).searchParams.has("query"),
    status: response.status,
    cacheControl: response.headers.get("cache-control"),
    codes: (body?.errors || []).map((error) => error.extensions?.code ?? null),
    hasData: Boolean(body?.data),
  });
  return response;
}

function taken() {
  return exchanges.splice(0, exchanges.length);
}

function client(link) {
  return new ApolloClient({
    link,
    cache: new InMemoryCache({ addTypename: false }),
    defaultOptions: { query: { fetchPolicy: "no-cache" } },
  });
}

// 1. Automatic persisted queries: a cold miss, the retry with the document, then a hit.
const LISTING = gql`
  query Listing {
    products(first: 3) {
      totalCount
      nodes {
        name
      }
    }
  }
`;
const apqLink = () =>
  createPersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
    new HttpLink({ uri: url, fetch: recordingFetch })
  );
const cold = await client(apqLink()).query({ query: LISTING });
const coldExchanges = taken();
const warm = await client(apqLink()).query({ query: LISTING });
const warmExchanges = taken();

// 2. A partner: ids from its manifest, looked up by operation name, as
// @apollo/persisted-query-lists' generatePersistedQueryIdsFromManifest does.
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const ids = Object.fromEntries(manifest.operations.map((op) => [op.name, op.id]));
const partnerHttp = new HttpLink({ uri: url, fetch: recordingFetch, headers: { "x-api-key": apiKey } });
const partnerLink = createPersistedQueryLink({
  generateHash: (document) => ids[getOperationName(document)],
  useGETForHashedQueries: true,
}).concat(partnerHttp);
const page = manifest.operations.find((op) => op.name === "CatalogPage");
const feed = await client(partnerLink).query({ query: gql(page.body), variables: { first: 2 } });
const partnerExchanges = taken();

// 3. The same partner, a query of its own.
let refusal = null;
try {
  await client(partnerHttp).query({ query: gql`{ products(first: 1) { nodes { name } } }` });
} catch (error) {
  refusal = {
    status: error.networkError?.statusCode ?? null,
    codes: (error.networkError?.result?.errors || []).map((e) => e.extensions?.code),
    message: error.message,
  };
}
const refusedExchanges = taken();

console.log(
  JSON.stringify({
    cold: { data: cold.data, exchanges: coldExchanges },
    warm: { data: warm.data, exchanges: warmExchanges },
    partner: { data: feed.data, exchanges: partnerExchanges },
    refused: { refusal, exchanges: refusedExchanges },
  })
);
