// Runs graphql-http's GraphQL-over-HTTP audit suite against a server and prints one JSON
// object: for each pass, every audit's id, name (which starts with its requirement
// level, MUST / SHOULD / MAY), status (ok | error | warn | notice) and failure reason.
//
//   node audit.mjs http://127.0.0.1:PORT/graphql
//
// Two passes: "plain", with the suite's own requests; and "preflighted", where each
// request also carries `apollo-require-preflight: true`, as a real client's GET does
// (a server that refuses unpreflighted GETs against CSRF fails only MAY audits in the
// first pass). Exit status 0 when the audits ran; the caller judges the results.
import { auditServer } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node audit.mjs URL");
  process.exit(2);
}

function preflighted(input, init = {}) {
  const headers = new Headers(init.headers || {});
  headers.set("apollo-require-preflight", "true");
  return fetch(input, { ...init, headers });
}

async function run(fetchFn) {
  const results = await auditServer({ url, fetchFn });
  return results.map((result) => ({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === "ok" ? null : result.reason,
  }));
}

const output = { plain: await run(fetch), preflighted: await run(preflighted) };
console.log(JSON.stringify(output));
