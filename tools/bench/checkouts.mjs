// The ordinary checkout workload of bench/flash.py: N shoppers at once, each checking out
// its own carts one after another (a closed loop), every cart a different customer's. The
// carts are filled first, untimed; then each checkout is timed from the request until it
// is decided, asking again with the same key while the answer is PENDING.
//
// Usage: node checkouts.mjs --url URL --shoppers-file FILE --variants-file FILE
//                           --concurrency N
//   the shoppers FILE holds a JSON array of access tokens, one per checkout; the variants
//   FILE a JSON array of variant ids, bought one unit each in turn.
// Prints one JSON object: {"seconds": S, "answers": [{latency, outcome}]}, milliseconds.

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    "shoppers-file": { type: "string" },
    "variants-file": { type: "string" },
    concurrency: { type: "string", default: "1" },
  },
  strict: true,
});

const CART = `mutation Cart($lines: [CartLineInput!]) {
  cartCreate(lines: $lines) { cart { id } errors { code } } }`;
const CHECKOUT = `mutation Checkout($cartId: ID!, $address: ShippingAddressInput!, $key: String!) {
  checkoutComplete(cartId: $cartId, shippingAddress: $address, idempotencyKey: $key) {
    status order { id status failureReason } errors { code } } }`;
const ADDRESS = {
  firstName: "Ada",
  lastName: "Lovelace",
  streetAddress1: "12 St James's Square",
  city: "London",
  postalCode: "SW1Y 4JH",
  countryCode: "GB",
};

async function post(token, query, variables) {
  const response = await fetch(values.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

async function decided(token, cartId) {
  const variables = { cartId, address: ADDRESS, key: randomUUID() };
  for (let attempt = 0; attempt < 60; attempt += 1) {
    let payload;
    try {
      payload = (await post(token, CHECKOUT, variables)).data.checkoutComplete;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    if (payload.errors.length) return payload.errors[0].code;
    if (payload.status === "AWAITING_PAYMENT") return "ORDERED";
    if (payload.status === "FAILED") return payload.order?.failureReason ?? "FAILED";
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return "ERROR";
}

const tokens = JSON.parse(await readFile(values["shoppers-file"], "utf8"));
const variants = JSON.parse(await readFile(values["variants-file"], "utf8"));
const work = [];
for (let start = 0; start < tokens.length; start += 50) {
  const batch = tokens.slice(start, start + 50).map(async (token, offset) => {
    const variantId = variants[(start + offset) % variants.length];
    const body = await post(token, CART, { lines: [{ variantId, quantity: 1 }] });
    return { token, cartId: body.data.cartCreate.cart.id };
  });
  work.push(...(await Promise.all(batch)));
}

const answers = [];
const began = performance.now();
async function shopper() {
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    const started = performance.now();
    const outcome = await decided(item.token, item.cartId);
    answers.push({ latency: performance.now() - started, outcome });
  }
}
await Promise.all(Array.from({ length: Number(values.concurrency) }, shopper));
console.log(JSON.stringify({ seconds: (performance.now() - began) / 1000, answers }));
