// The ordinary checkout workload of bench/flash.py: N shoppers at once, each checking out
// its own carts one after another (a closed loop), every cart a different customer's. The
// carts are filled first, untimed and uncounted; then each checkout is timed from the
// request until it is decided, asking again with the same key while the answer is PENDING.
//
// Usage: node checkouts.mjs --url URL --shoppers-file FILE --variants-file FILE
//                           --concurrency N
//   the shoppers FILE holds a JSON array of access tokens, one per checkout; the variants
//   FILE a JSON array of variant ids, bought one unit each in turn.
// Prints one JSON object: {"seconds": S, "answers": [{latency, outcome}]}, milliseconds.

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

import { CART, decided, post } from "./shop.mjs";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    "shoppers-file": { type: "string" },
    "variants-file": { type: "string" },
    concurrency: { type: "string", default: "1" },
  },
  strict: true,
});

const tokens = JSON.parse(await readFile(values["shoppers-file"], "utf8"));
const variants = JSON.parse(await readFile(values["variants-file"], "utf8"));
const work = [];
for (let start = 0; start < tokens.length; start += 50) {
  const batch = tokens.slice(start, start + 50).map(async (token, offset) => {
    const variantId = variants[(start + offset) % variants.length];
    const body = await post(values.url, token, CART, { lines: [{ variantId, quantity: 1 }] });
    return { token, cartId: body.data.cartCreate.cart.id };
  });
  work.push(...(await Promise.all(batch)));
}

// The carts are filled: the bench takes its counts and CPU times now, and says when to
// go on (bench/flash.py), so that what it measures is the checkouts alone.
process.stderr.write("filled\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
process.stdin.pause();

const answers = [];
const began = performance.now();
async function shopper() {
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    const started = performance.now();
    const outcome = await decided(values.url, item.token, item.cartId);
    answers.push({ latency: performance.now() - started, outcome });
  }
}
await Promise.all(Array.from({ length: Number(values.concurrency) }, shopper));
console.log(JSON.stringify({ seconds: (performance.now() - began) / 1000, answers }));
