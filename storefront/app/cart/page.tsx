import type { Metadata } from "next";
import Link from "next/link";
import { removeCartLine, updateCartLine } from "@/components/cart/actions";
import { getCart, stockWarnings } from "@/components/cart/get-cart";
import { FormMessage } from "@/components/forms/fields";
import { formatMoney } from "@/lib/format/money";
import { messageForPayloadError } from "@/lib/shopgraph/errors";

export const metadata: Metadata = { title: "Cart", robots: { index: false } };

export default async function CartPage(props: PageProps<"/cart">) {
  const { error, line: lineWithError } = await props.searchParams;
  const cart = await getCart();
  const message = typeof error === "string" ? messageForPayloadError({ code: error, message: "" }) : null;
  if (!cart || cart.lines.length === 0) {
    return (
      <section className="flex flex-col gap-4">
        <h1 className="text-2xl font-semibold">Your cart</h1>
        {message ? <FormMessage>{message}</FormMessage> : null}
        <p>Your cart is empty.</p>
        <Link href="/" className="underline">Continue shopping</Link>
      </section>
    );
  }
  const warnings = stockWarnings(cart);
  const subtotal = cart.lines.reduce((sum, line) => sum + line.variant.price.amount * line.quantity, 0);
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Your cart</h1>
      {message && typeof lineWithError !== "string" ? <FormMessage>{message}</FormMessage> : null}
      <ul className="flex flex-col gap-3">
        {cart.lines.map((line) => {
          const product = line.variant.product;
          return (
            <li key={line.id} className="flex flex-wrap items-center gap-4 rounded border border-stone-200 bg-white p-3" data-testid="cart-line">
              <div className="flex flex-1 flex-col">
                {product ? (
                  <Link href={`/product/${product.slug}`} className="font-medium underline">
                    {product.name}
                  </Link>
                ) : (
                  <span className="font-medium">{line.variant.sku}</span>
                )}
                <span className="text-sm text-stone-600">
                  {line.variant.options.map((option) => `${option.name}: ${option.value}`).join(", ")}
                  {product ? ` · ${product.seller.shopName}` : null}
                </span>
                {warnings[line.id] ? (
                  <span className="text-sm font-medium text-red-700" data-testid="stock-warning">
                    {warnings[line.id]}
                  </span>
                ) : null}
                {message && lineWithError === line.id ? <span className="text-sm text-red-700">{message}</span> : null}
              </div>
              <span>{formatMoney(line.variant.price.amount, line.variant.price.currency)}</span>
              <form action={updateCartLine} className="flex items-center gap-2">
                <input type="hidden" name="lineId" value={line.id} />
                <label className="sr-only" htmlFor={`quantity-${line.id}`}>Quantity</label>
                <input id={`quantity-${line.id}`} name="quantity" type="number" min={1} max={999} defaultValue={line.quantity} className="w-20 rounded border border-stone-300 px-2 py-1" />
                <button type="submit" className="rounded border border-stone-300 px-2 py-1 text-sm">Update</button>
              </form>
              <form action={removeCartLine}>
                <input type="hidden" name="lineId" value={line.id} />
                <button type="submit" className="text-sm underline">Remove</button>
              </form>
            </li>
          );
        })}
      </ul>
      <p className="text-lg">
        Subtotal: <strong data-testid="cart-subtotal">{formatMoney(subtotal, cart.currency)}</strong>
      </p>
      <Link href="/checkout" className="self-start rounded bg-stone-900 px-4 py-2 font-medium text-white">
        Check out
      </Link>
    </section>
  );
}
