// Writes the storefront's operations as a trusted-document manifest in Apollo's
// persisted-query-list format, where the gateway loads manifests: schema/operations/.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "graphql";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const generated = join(root, "lib/shopgraph/gql/persisted-documents.json");
const target = join(root, "../schema/operations/storefront.json");

const documents = JSON.parse(readFileSync(generated, "utf8"));
const operations = Object.entries(documents).map(([documentId, body]) => {
  const operation = parse(body).definitions.find((d) => d.kind === "OperationDefinition");
  if (!operation?.name) throw new Error(`${documentId}: every storefront operation needs a name`);
  return { id: documentId.replace(/^sha256:/, ""), name: operation.name.value, type: operation.operation, body };
});
operations.sort((a, b) => (a.name === b.name ? a.id.localeCompare(b.id) : a.name < b.name ? -1 : 1));

const manifest = { format: "apollo-persisted-query-manifest", version: 1, operations };
writeFileSync(target, JSON.stringify(manifest, null, 2) + "\n");
console.log(`${operations.length} operations written to ${target}`);
