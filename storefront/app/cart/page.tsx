import type { Metadata } from "next";
import Link from "next/link";
import { choosePricing, removeCartLine, removeVoucher, updateCartLine } from "@/components/cart/actions";
import { AutoSubmitForm } from "@/components/cart/AutoSubmitForm";
import { getCart, stockWarnings } from "@/components/cart/get-cart";
import { getPricingAddress, quoteCart, readPricingChoice } from "@/components/cart/get-pricing";
import { PriceBreakdown } from "@/components/cart/PriceBreakdown";
import { VoucherForm } from "@/components/cart/VoucherForm";
import { FormMessage } from "@/components/forms/fields";
import { SalePrice } from "@/components/pricing/SalePrice";
import { countryOptions } from "@/lib/format/countries";
import { formatMoney } from "@/lib/format/money";
import { messageForPayloadError } from "@/lib/shopgraph/errors";

export const metadata: Metadata = { title: "Cart", robots: { index: false } };

export default async function CartPage(props: PageProps<"/cart">) {
  const { error, line: lineWithError } = await props.searchParams;
  const [cart, choice] = await Promise.all([getCart(), readPricingChoice()]);
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
  const address = await getPricingAddress(choice);
  const quote = await quoteCart(cart, address, choice);
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
              <SalePrice price={line.variant.price} listPrice={line.variant.listPrice} promotionName={line.variant.promotion?.name} />
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

      <div className="grid gap-6 md:grid-cols-2">
        <section aria-labelledby="vouchers" className="flex flex-col gap-3">
          <h2 id="vouchers" className="text-lg font-semibold">Vouchers</h2>
          <VoucherForm />
          {cart.vouchers.length > 0 ? (
            <ul className="flex flex-col gap-2">
              {cart.vouchers.map((voucher) => (
                <li key={voucher.code} className="flex items-center gap-3 text-sm" data-testid="applied-voucher">
                  <span className="rounded bg-green-100 px-2 py-0.5 font-mono text-green-900">{voucher.code}</span>
                  <span>{voucher.name}</span>
                  <form action={removeVoucher}>
                    <input type="hidden" name="code" value={voucher.code} />
                    <button type="submit" className="underline" aria-label={`Remove code ${voucher.code}`}>
                      Remove code
                    </button>
                  </form>
                </li>
              ))}
            </ul>
          ) : null}
        </section>

        <section aria-labelledby="summary" className="flex flex-col gap-3">
          <h2 id="summary" className="text-lg font-semibold">Summary</h2>
          <AutoSubmitForm action={choosePricing} className="flex flex-col gap-3">
            <input type="hidden" name="pricedCountry" value={address.countryCode} />
            <label className="flex items-center gap-2 text-sm font-medium">
              Ship to
              <select
                key={address.countryCode}
                name="country"
                defaultValue={address.countryCode}
                className="rounded border border-stone-300 px-2 py-1 font-normal"
              >
                {countryOptions(address.countryCode).map((country) => (
                  <option key={country.code} value={country.code}>
                    {country.name}
                  </option>
                ))}
              </select>
            </label>
            {quote.pricing ? (
              <PriceBreakdown pricing={quote.pricing} chooseShipping />
            ) : (
              <>
                {quote.error ? <FormMessage>{quote.error}</FormMessage> : null}
                <p className="text-lg">
                  Subtotal: <strong data-testid="cart-subtotal">{formatMoney(subtotal, cart.currency)}</strong>
                </p>
              </>
            )}
            <button type="submit" className="self-start rounded border border-stone-300 px-3 py-1 text-sm">
              Recalculate
            </button>
          </AutoSubmitForm>
        </section>
      </div>
      <Link href="/checkout" className="self-start rounded bg-stone-900 px-4 py-2 font-medium text-white">
        Check out
      </Link>
    </section>
  );
}
