import type { CodegenConfig } from "@graphql-codegen/cli";

// Operations sit beside the pages and components that run them, as graphql() calls; the
// client preset types them from the gateway's public schema and hashes each one for the
// trusted-document manifest (scripts/write-manifest.mjs).
const config: CodegenConfig = {
  schema: "../schema/api.graphql",
  documents: ["app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}", "lib/**/*.{ts,tsx}", "!lib/shopgraph/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    "lib/shopgraph/gql/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: "embedHashInDocument", hashAlgorithm: "sha256" },
      },
      config: {
        documentMode: "string",
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        scalars: { DateTime: "string" },
        strictScalars: true,
      },
    },
  },
};

export default config;
