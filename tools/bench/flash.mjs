// The shoppers of bench/flash.py: each fills a cart, then, at a random moment within the
// arrival window, checks it out with a key of its own and asks again (same key) until the
// checkout is decided. In Node, with its built-in fetch: a thousand shoppers in one
// Python process spent the client's CPU, not the platform's, and timed that.
//
// Usage: node flash.mjs --url URL --shoppers-file FILE --variant ID --arrival S
//   FILE holds a JSON array of access tokens, one per shopper.
// Prints one JSON object: {"answers": [{shopper, started, decided, outcome}]}, times in
// milliseconds since the first arrival could start; and "race" on stderr when the carts
// are filled and the race begins.

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

import { CART, decided, post } from "./shop.mjs";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    "shoppers-file": { type: "string" },
    variant: { type: "string" },
    arrival: { type: "string", default: "3" },
  },
  strict: true,
});

async function cartOf(token) {
  const body = await post(values.url, token, CART, {
    lines: [{ variantId: values.variant, quantity: 1 }],
  });
  return body.data.cartCreate.cart.id;
}

async function checkout(index, token, cartId, delay, epoch) {
  await new Promise((resolve) => setTimeout(resolve, delay));
  const started = performance.now() - epoch;
  const outcome = await decided(values.url, token, cartId);
  return { shopper: index, started, decided: performance.now() - epoch, outcome };
}

const tokens = JSON.parse(await readFile(values["shoppers-file"], "utf8"));
const carts = [];
for (let start = 0; start < tokens.length; start += 50) {
  carts.push(...(await Promise.all(tokens.slice(start, start + 50).map(cartOf))));
}
// The carts are filled: what the race costs is counted from here (bench/flash.py).
process.stderr.write("race\n");
const arrivalMs = Number(values.arrival) * 1000;
const epoch = performance.now();
const answers = await Promise.all(
  tokens.map((token, index) => checkout(index, token, carts[index], Math.random() * arrivalMs, epoch)),
);
console.log(JSON.stringify({ answers }));
