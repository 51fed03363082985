"use server";

import { randomUUID } from "node:crypto";
import { redirect } from "next/navigation";
import { getCart } from "@/components/cart/get-cart";
import { namesIn, quoteCart, writePricingChoice } from "@/components/cart/get-pricing";
import { withNames } from "@/components/cart/price-summary";
import type { PricingChoice } from "@/components/cart/pricing-choice";
import { fieldErrors, messageForPayloadError, messageForRequestErrors } from "@/lib/shopgraph/errors";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { CheckoutCompleteMutation } from "./operations";
import { addressFields, type CheckoutState } from "./state";

/** The shipping method per seller the shopper saw on the summary: hidden `ship:<sellerId>` fields. */
function shippingOf(formData: FormData): { sellerId: string; methodId: string }[] {
  const choices: { sellerId: string; methodId: string }[] = [];
  for (const [name, value] of formData.entries()) {
    if (name.startsWith("ship:") && typeof value === "string" && value) {
      choices.push({ sellerId: name.slice("ship:".length), methodId: value });
    }
  }
  return choices;
}

export async function completeCheckout(previous: CheckoutState, formData: FormData): Promise<CheckoutState> {
  const values: Record<string, string> = {};
  for (const field of addressFields) {
    const value = formData.get(field.name);
    values[field.name] = typeof value === "string" ? value.trim() : "";
  }
  values.countryCode = (values.countryCode ?? "").toUpperCase();
  const idempotencyKey = String(formData.get("idempotencyKey") ?? previous.idempotencyKey);
  const quoteToken = formData.get("quoteToken");
  const shown = { quoteToken: previous.quoteToken, summary: previous.summary };
  const cart = await getCart();
  if (!cart) {
    return { ...shown, idempotencyKey, message: messageForPayloadError({ code: "EMPTY_CART", message: "" }), values };
  }
  const names = namesIn(cart);
  const shipping = shippingOf(formData);

  const { data, errors } = await shopgraph(CheckoutCompleteMutation, {
    cartId: cart.id,
    idempotencyKey,
    address: {
      firstName: values.firstName ?? "",
      lastName: values.lastName ?? "",
      streetAddress1: values.streetAddress1 ?? "",
      streetAddress2: values.streetAddress2 ?? "",
      city: values.city ?? "",
      countryArea: values.countryArea ?? "",
      postalCode: values.postalCode ?? "",
      countryCode: values.countryCode ?? "",
      phone: values.phone ?? "",
    },
    shipping: shipping.length > 0 ? shipping : null,
    quoteToken: typeof quoteToken === "string" && quoteToken ? quoteToken : null,
  });
  const payload = data?.checkoutComplete;
  // A refused checkout is final for its key: the next attempt needs a fresh one.
  const retryKey = randomUUID();
  if (!payload) return { ...shown, idempotencyKey: retryKey, message: messageForRequestErrors(errors), values };
  if (payload.errors.length > 0) {
    const refusals = payload.errors.map((error) => ({ ...error, message: withNames(error.message, names) }));
    const priceChanged = refusals.find((error) => error.code === "PRICE_CHANGED" && error.changes?.length);
    if (priceChanged) {
      // The summary for the address as entered, with the same shipping, to confirm again.
      const choice: PricingChoice = {
        country: values.countryCode ?? null,
        shipping: Object.fromEntries(shipping.map((choice) => [choice.sellerId, choice.methodId])),
      };
      const address = { countryCode: values.countryCode ?? "", countryArea: values.countryArea ?? "", postalCode: values.postalCode ?? "" };
      const quote = await quoteCart(cart, address, choice);
      if (quote.pricing) {
        await writePricingChoice({
          country: address.countryCode,
          shipping: Object.fromEntries(
            quote.pricing.parcels.flatMap((parcel) => (parcel.chosen.methodId ? [[parcel.seller.id, parcel.chosen.methodId]] : [])),
          ),
        });
      }
      return {
        idempotencyKey: retryKey,
        quoteToken: quote.pricing?.quoteToken ?? previous.quoteToken,
        summary: quote.pricing ?? previous.summary,
        changes: (priceChanged.changes ?? []).map((change) => withNames(change.message, names)),
        message: quote.pricing
          ? "The price changed since you saw it. Check the new summary and place your order again."
          : quote.error ?? messageForPayloadError(priceChanged),
        values,
      };
    }
    const lineErrors: Record<string, string> = {};
    for (const error of refusals) {
      for (const lineId of error.lineIds ?? []) lineErrors[lineId] ??= messageForPayloadError(error);
      for (const variantId of error.variantIds ?? []) {
        const line = cart.lines.find((candidate) => candidate.variant.id === variantId);
        if (line) lineErrors[line.id] ??= messageForPayloadError(error);
      }
    }
    const { fields, form } = fieldErrors(refusals.filter((error) => error.field !== "cartId"));
    // A voucher refused at checkout (used up meanwhile, ended...): the platform's message names it.
    const voucher = refusals.find((error) => error.code.startsWith("VOUCHER_"));
    const cartLevel = refusals.find((error) => error.field === "cartId" || !error.field);
    return {
      ...shown,
      idempotencyKey: retryKey,
      message: voucher ? voucher.message : cartLevel ? cartLevel.message || messageForPayloadError(cartLevel) : form[0],
      fields,
      lineErrors,
      values,
    };
  }
  if (!payload.orderId) return { ...shown, idempotencyKey, message: messageForRequestErrors(errors), values };
  redirect(`/account/orders/${payload.orderId}`);
}
