import nextCoreWebVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";

const config = [
  ...nextCoreWebVitals,
  ...nextTypescript,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  { ignores: ["node_modules/**", ".next/**", "lib/shopgraph/gql/**", "test-results/**", "next-env.d.ts"] },
];

export default config;
