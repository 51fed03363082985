export const graphqlUrl = process.env.SHOPGRAPH_GRAPHQL_URL ?? "http://127.0.0.1:8000/graphql";
export const mediaUrl = process.env.SHOPGRAPH_MEDIA_URL ?? "http://127.0.0.1:8000/media";
export const clientKey = process.env.SHOPGRAPH_CLIENT_KEY ?? "";
export const siteUrl = (process.env.STOREFRONT_URL ?? "http://127.0.0.1:3000").replace(/\/$/, "");
export const stripePublishableKey = process.env.STRIPE_PUBLISHABLE_KEY ?? "";

// A production build names its operations by hash only, so the gateway runs nothing but
// the manifest it was given; SHOPGRAPH_PERSISTED_ONLY=0/1 overrides either way.
export const persistedOnly =
  process.env.SHOPGRAPH_PERSISTED_ONLY !== undefined
    ? process.env.SHOPGRAPH_PERSISTED_ONLY === "1"
    : process.env.NODE_ENV === "production";

// Catalog reads are cached by Next for this long unless a product event revalidates them.
export const catalogRevalidateSeconds = 300;
