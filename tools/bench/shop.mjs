// What the bench's Node shoppers (flash.mjs, checkouts.mjs) send: the cart and checkout
// operations, a shipping address, and a checkout asked again with the same key while
// its answer is PENDING, until it is decided.

import { randomUUID } from "node:crypto";

export const CART = `mutation Cart($lines: [CartLineInput!]) {
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

export async function post(url, token, query, variables) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

// ORDERED, a refusal's code or failure reason, or ERROR after 60 tries.
export async function decided(url, token, cartId) {
  const variables = { cartId, address: ADDRESS, key: randomUUID() };
  for (let attempt = 0; attempt < 60; attempt += 1) {
    let payload;
    try {
      payload = (await post(url, token, CHECKOUT, variables)).data.checkoutComplete;
    } catch {
      // A pooled connection the server closed while idle (keep-alive): the same key
      // asks again safely, checkoutComplete being idempotent by it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    if (payload.errors.length) return payload.errors[0].code;
    if (payload.status === "AWAITING_PAYMENT") return "ORDERED";
    if (payload.status === "FAILED") return payload.order?.failureReason ?? "FAILED";
    // PENDING: the server's wait ran out first; the same key asks for the same checkout.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return "ERROR";
}
