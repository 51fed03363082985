"use server";

import { randomUUID } from "node:crypto";
import { redirect } from "next/navigation";
import { getCart } from "@/components/cart/get-cart";
import { fieldErrors, messageForPayloadError, messageForRequestErrors } from "@/lib/shopgraph/errors";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { CheckoutCompleteMutation } from "./operations";
import { addressFields, type CheckoutState } from "./state";

export async function completeCheckout(previous: CheckoutState, formData: FormData): Promise<CheckoutState> {
  const values: Record<string, string> = {};
  for (const field of addressFields) {
    const value = formData.get(field.name);
    values[field.name] = typeof value === "string" ? value.trim() : "";
  }
  values.countryCode = (values.countryCode ?? "").toUpperCase();
  const idempotencyKey = String(formData.get("idempotencyKey") ?? previous.idempotencyKey);
  const cart = await getCart();
  if (!cart) return { idempotencyKey, message: messageForPayloadError({ code: "EMPTY_CART", message: "" }), values };

  const { data, errors } = await shopgraph(CheckoutCompleteMutation, {
    cartId: cart.id,
    idempotencyKey,
    address: {
      firstName: values.firstName ?? "",
      lastName: values.lastName ?? "",
      streetAddress1: values.streetAddress1 ?? "",
      streetAddress2: values.streetAddress2 ?? "",
      city: values.city ?? "",
      postalCode: values.postalCode ?? "",
      countryCode: values.countryCode ?? "",
      phone: values.phone ?? "",
    },
  });
  const payload = data?.checkoutComplete;
  // A refused checkout is final for its key: the next attempt needs a fresh one.
  const retryKey = randomUUID();
  if (!payload) return { idempotencyKey: retryKey, message: messageForRequestErrors(errors), values };
  if (payload.errors.length > 0) {
    const lineErrors: Record<string, string> = {};
    for (const error of payload.errors) {
      for (const lineId of error.lineIds ?? []) lineErrors[lineId] ??= messageForPayloadError(error);
      for (const variantId of error.variantIds ?? []) {
        const line = cart.lines.find((candidate) => candidate.variant.id === variantId);
        if (line) lineErrors[line.id] ??= messageForPayloadError(error);
      }
    }
    const { fields, form } = fieldErrors(payload.errors.filter((error) => error.field !== "cartId"));
    const cartLevel = payload.errors.find((error) => error.field === "cartId" || !error.field);
    return {
      idempotencyKey: retryKey,
      message: cartLevel ? cartLevel.message || messageForPayloadError(cartLevel) : form[0],
      fields,
      lineErrors,
      values,
    };
  }
  if (!payload.orderId) return { idempotencyKey, message: messageForRequestErrors(errors), values };
  redirect(`/account/orders/${payload.orderId}`);
}
