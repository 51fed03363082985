// The shoppers of bench/flash.py: each fills a cart, then, at a random moment within the
// arrival window, checks it out with a key of its own and asks again (same key) until the
// checkout is decided. In Node, with its built-in fetch: a thousand shoppers in one
// Python process spent the client's CPU, not the platform's, and timed that.
//
// Usage: node flash.mjs --url URL --shoppers-file FILE --variant ID --arrival S
//   FILE holds a JSON array of access tokens, one per shopper.
// Prints one JSON object: {"answers": [{shopper, started, decided, outcome}]}, times in
// milliseconds since the first arrival could start.

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    "shoppers-file": { type: "string" },
    variant: { type: "string" },
    arrival: { type: "string", default: "3" },
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

async function cartOf(token) {
  const body = await post(token, CART, { lines: [{ variantId: values.variant, quantity: 1 }] });
  return body.data.cartCreate.cart.id;
}

async function checkout(index, token, cartId, delay, epoch) {
  await new Promise((resolve) => setTimeout(resolve, delay));
  const started = performance.now() - epoch;
  const variables = { cartId, address: ADDRESS, key: randomUUID() };
  let outcome = "ERROR";
  for (let attempt = 0; attempt < 60; attempt += 1) {
    let payload;
    try {
      payload = (await post(token, CHECKOUT, variables)).data.checkoutComplete;
    } catch {
      // A pooled connection the server closed while idle (keep-alive): the same key
      // asks again safely, checkoutComplete being idempotent by it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    if (payload.errors.length) {
      outcome = payload.errors[0].code;
      break;
    }
    if (payload.status === "AWAITING_PAYMENT") {
      outcome = "ORDERED";
      break;
    }
    if (payload.status === "FAILED") {
      outcome = payload.order?.failureReason ?? "FAILED";
      break;
    }
    // PENDING: the server's wait ran out first; the same key asks for the same checkout.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { shopper: index, started, decided: performance.now() - epoch, outcome };
}

const tokens = JSON.parse(await readFile(values["shoppers-file"], "utf8"));
const carts = [];
for (let start = 0; start < tokens.length; start += 50) {
  carts.push(...(await Promise.all(tokens.slice(start, start + 50).map(cartOf))));
}
const arrivalMs = Number(values.arrival) * 1000;
const epoch = performance.now();
const answers = await Promise.all(
  tokens.map((token, index) => checkout(index, token, carts[index], Math.random() * arrivalMs, epoch)),
);
console.log(JSON.stringify({ answers }));
