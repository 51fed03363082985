"use server";

import { redirect } from "next/navigation";
import { revalidateTag } from "next/cache";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { PaymentSimulateMutation, ReviewCreateMutation } from "./operations";

function field(formData: FormData, name: string): string {
  const value = formData.get(name);
  return typeof value === "string" ? value.trim() : "";
}

/** The local provider's pay and decline buttons: the shopper's answer at the card form. */
export async function simulatePayment(formData: FormData): Promise<void> {
  const orderPath = `/account/orders/${encodeURIComponent(field(formData, "orderId"))}`;
  const outcome = field(formData, "outcome") === "FAIL" ? "FAIL" : "SUCCEED";
  const { data, errors } = await shopgraph(PaymentSimulateMutation, { paymentId: field(formData, "paymentId"), outcome });
  const code = data?.paymentSimulate.errors[0]?.code ?? (data ? null : errors[0]?.extensions?.code ?? "UNAVAILABLE");
  redirect(code ? `${orderPath}?error=${code}` : orderPath);
}

export async function writeReview(formData: FormData): Promise<void> {
  const orderPath = `/account/orders/${encodeURIComponent(field(formData, "orderId"))}`;
  const productId = field(formData, "productId");
  const rating = Number.parseInt(field(formData, "rating"), 10);
  const { data, errors } = await shopgraph(ReviewCreateMutation, {
    productId,
    input: { rating: Number.isFinite(rating) ? rating : 0, title: field(formData, "title"), body: field(formData, "body") },
  });
  const code = data?.reviewCreate.errors[0]?.code ?? (data ? null : errors[0]?.extensions?.code ?? "UNAVAILABLE");
  if (code) redirect(`${orderPath}?error=${code}&product=${encodeURIComponent(productId)}`);
  revalidateTag("products", { expire: 0 });
  redirect(`${orderPath}?reviewed=${encodeURIComponent(productId)}`);
}
