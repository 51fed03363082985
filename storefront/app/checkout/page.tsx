import { randomUUID } from "node:crypto";
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { getViewer } from "@/components/account/viewer";
import { getCart, stockWarnings } from "@/components/cart/get-cart";
import { getPricingAddress, quoteCart, readPricingChoice } from "@/components/cart/get-pricing";
import { CheckoutForm } from "@/components/checkout/CheckoutForm";
import { formatMoney } from "@/lib/format/money";

export const metadata: Metadata = { title: "Checkout", robots: { index: false } };

export default async function CheckoutPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/sign-in?next=/checkout");
  const [cart, choice] = await Promise.all([getCart(), readPricingChoice()]);
  if (!cart || cart.lines.length === 0) {
    return (
      <section className="flex flex-col gap-4">
        <h1 className="text-2xl font-semibold">Checkout</h1>
        <p>Your cart is empty.</p>
        <Link href="/" className="underline">Continue shopping</Link>
      </section>
    );
  }
  // The summary the shopper confirms: priced for the cart page's country and shipping choices.
  const address = await getPricingAddress(choice);
  const quote = await quoteCart(cart, address, choice);
  const warnings = stockWarnings(cart);
  const lines = cart.lines.map((line) => ({
    id: line.id,
    name: line.variant.product?.name ?? line.variant.sku,
    options: line.variant.options.map((option) => option.value).join(" / "),
    seller: line.variant.product?.seller.shopName ?? "",
    quantity: line.quantity,
    price: `${formatMoney(line.variant.price.amount, line.variant.price.currency)} each${
      line.variant.promotion ? ` (${line.variant.promotion.name})` : ""
    }`,
    warning: warnings[line.id],
  }));
  const subtotal = cart.lines.reduce((sum, line) => sum + line.variant.price.amount * line.quantity, 0);
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Checkout</h1>
      <CheckoutForm
        lines={lines}
        subtotal={formatMoney(subtotal, cart.currency)}
        summaryError={quote.error}
        initial={{
          idempotencyKey: randomUUID(),
          quoteToken: quote.pricing?.quoteToken,
          summary: quote.pricing ?? undefined,
          values: {
            firstName: viewer.name.split(" ")[0] ?? "",
            countryCode: address.countryCode,
            countryArea: address.countryArea,
            postalCode: address.postalCode,
          },
        }}
      />
    </section>
  );
}
