"use server";

import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { messageForPayloadError, messageForRequestErrors } from "@/lib/shopgraph/errors";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { ACCESS_COOKIE, guestCartCookie, secureCookies } from "@/lib/shopgraph/session";
import { getCart } from "./get-cart";
import { readPricingChoice, writePricingChoice } from "./get-pricing";
import {
  CartCreateMutation,
  CartLinesAddMutation,
  CartLinesRemoveMutation,
  CartLinesUpdateMutation,
  CartVoucherApplyMutation,
  CartVoucherRemoveMutation,
} from "./operations";
import { pricingChoiceFromForm } from "./pricing-choice";
import type { VoucherState } from "./voucher-state";

function field(formData: FormData, name: string): string {
  const value = formData.get(name);
  return typeof value === "string" ? value : "";
}

function quantityOf(formData: FormData): number {
  const quantity = Number.parseInt(field(formData, "quantity") || "1", 10);
  return Number.isFinite(quantity) ? quantity : 0;
}

function errorCode(errors: ReadonlyArray<{ extensions?: { code?: string } }>): string {
  return errors[0]?.extensions?.code ?? "UNAVAILABLE";
}

export async function addToCart(formData: FormData): Promise<void> {
  const variantId = field(formData, "variantId");
  const back = `/product/${encodeURIComponent(field(formData, "slug"))}`;
  if (!variantId) redirect(`${back}?error=REQUIRED`);
  const lines = [{ variantId, quantity: quantityOf(formData) }];

  const existing = await getCart();
  if (existing) {
    const { data, errors } = await shopgraph(CartLinesAddMutation, { cartId: existing.id, lines });
    const payload = data?.cartLinesAdd;
    if (!payload) redirect(`${back}?error=${errorCode(errors)}`);
    if (payload.errors[0]) redirect(`${back}?error=${payload.errors[0].code}`);
    redirect("/cart");
  }
  const { data, errors } = await shopgraph(CartCreateMutation, { lines });
  const payload = data?.cartCreate;
  if (!payload?.cart) redirect(`${back}?error=${payload?.errors[0]?.code ?? errorCode(errors)}`);
  const jar = await cookies();
  if (!jar.get(ACCESS_COOKIE)) {
    const cookie = guestCartCookie(payload.cart.id, secureCookies);
    jar.set(cookie.name, cookie.value, cookie.options);
  }
  redirect("/cart");
}

export async function updateCartLine(formData: FormData): Promise<void> {
  const cart = await getCart();
  if (!cart) redirect("/cart");
  const { data, errors } = await shopgraph(CartLinesUpdateMutation, {
    cartId: cart.id,
    lines: [{ lineId: field(formData, "lineId"), quantity: quantityOf(formData) }],
  });
  const code = data?.cartLinesUpdate.errors[0]?.code ?? (data ? null : errorCode(errors));
  redirect(code ? `/cart?error=${code}&line=${encodeURIComponent(field(formData, "lineId"))}` : "/cart");
}

export async function removeCartLine(formData: FormData): Promise<void> {
  const cart = await getCart();
  if (!cart) redirect("/cart");
  const { data, errors } = await shopgraph(CartLinesRemoveMutation, {
    cartId: cart.id,
    lineIds: [field(formData, "lineId")],
  });
  const code = data?.cartLinesRemove.errors[0]?.code ?? (data ? null : errorCode(errors));
  redirect(code ? `/cart?error=${code}` : "/cart");
}

/** Apply a voucher code; a refusal comes back as the platform's message, which names the cause. */
export async function applyVoucher(_previous: VoucherState, formData: FormData): Promise<VoucherState> {
  const code = field(formData, "code").trim();
  if (!code) return { code, message: messageForPayloadError({ code: "REQUIRED", message: "" }) };
  const cart = await getCart();
  if (!cart) return { code, message: messageForPayloadError({ code: "EMPTY_CART", message: "" }) };
  const { data, errors } = await shopgraph(CartVoucherApplyMutation, { cartId: cart.id, code });
  const payload = data?.cartVoucherApply;
  if (!payload) return { code, message: messageForRequestErrors(errors) };
  const refusal = payload.errors[0];
  if (refusal) return { code, message: refusal.message || messageForPayloadError(refusal) };
  redirect("/cart");
}

export async function removeVoucher(formData: FormData): Promise<void> {
  const cart = await getCart();
  if (!cart) redirect("/cart");
  const { data, errors } = await shopgraph(CartVoucherRemoveMutation, { cartId: cart.id, code: field(formData, "code") });
  const code = data?.cartVoucherRemove.errors[0]?.code ?? (data ? null : errorCode(errors));
  redirect(code ? `/cart?error=${code}` : "/cart");
}

/** The destination country and shipping methods of the price summary, kept for the next visit and checkout. */
export async function choosePricing(formData: FormData): Promise<void> {
  await writePricingChoice(pricingChoiceFromForm(formData, await readPricingChoice()));
  redirect("/cart");
}
