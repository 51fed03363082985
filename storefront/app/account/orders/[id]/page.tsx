import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { getViewer } from "@/components/account/viewer";
import { deliveryEstimate } from "@/components/cart/price-summary";
import { FormMessage, SubmitButton } from "@/components/forms/fields";
import { simulatePayment, writeReview } from "@/components/orders/actions";
import { AutoRefresh } from "@/components/orders/AutoRefresh";
import { LiveOrderStatus } from "@/components/orders/LiveOrderStatus";
import { OrderPageQuery } from "@/components/orders/operations";
import { StripePayment } from "@/components/orders/StripePayment";
import { formatDate, formatMoney } from "@/lib/format/money";
import { siteUrl, stripePublishableKey } from "@/lib/shopgraph/config";
import { messageForPayloadError, messageForRequestErrors } from "@/lib/shopgraph/errors";
import { shopgraph } from "@/lib/shopgraph/fetch";

export const metadata: Metadata = { title: "Your order", robots: { index: false } };

// No status follows these: the page stops listening for changes.
const finalStatuses = new Set(["FAILED", "CANCELLED", "REFUNDED"]);

const statusWords: Record<string, string> = {
  PENDING: "Placing your order",
  AWAITING_PAYMENT: "Waiting for payment",
  PAID: "Paid",
  FULFILLED: "Shipped",
  DELIVERED: "Delivered",
  FAILED: "Could not be placed",
  CANCELLED: "Cancelled",
  REFUNDED: "Refunded",
  PARTIALLY_REFUNDED: "Partly refunded",
};

const failureWords: Record<string, string> = {
  INSUFFICIENT_STOCK: "Some items ran out of stock before the order was placed.",
  PRICE_CHANGED: "A price changed before the order was placed. Review your cart and order again.",
  VARIANT_UNAVAILABLE: "An item is no longer sold.",
  CURRENCY_MISMATCH: "The items are priced in different currencies.",
  EXPIRED: "The order was not paid in time, so it expired.",
  CANCELLED: "The order was cancelled.",
};

export default async function OrderPage(props: PageProps<"/account/orders/[id]">) {
  const { id } = await props.params;
  const search = await props.searchParams;
  if (!(await getViewer())) redirect(`/sign-in?next=/account/orders/${id}`);
  const { data, errors } = await shopgraph(OrderPageQuery, { id });
  const order = data?.order;
  if (!order) {
    if (errors.length > 0) return <FormMessage>{messageForRequestErrors(errors)}</FormMessage>;
    // The checkout answered before the orders domain recorded the order: wait for it.
    return (
      <section className="flex flex-col gap-3">
        <h1 className="text-2xl font-semibold">Placing your order…</h1>
        <p role="status" data-testid="order-status">PENDING</p>
        <AutoRefresh />
        <Link href={`/account/orders/${id}`} className="underline">Check again</Link>
      </section>
    );
  }
  if (!order.number && !order.id) notFound();
  const payment = order.payment;
  const paymentOpen = payment !== null && ["REQUIRES_ACTION", "FAILED"].includes(payment.status);
  const settling =
    order.status === "PENDING" ||
    payment?.status === "PROCESSING" ||
    (order.status === "AWAITING_PAYMENT" && (payment === null || payment.status === "SUCCEEDED"));
  // The order's own changes arrive live (orderStatusChanged); a payment not yet opened or
  // still processing at the provider is no order change, so for those the page polls.
  const polling = payment?.status === "PROCESSING" || (order.status === "AWAITING_PAYMENT" && payment === null);
  const error = typeof search.error === "string" ? messageForPayloadError({ code: search.error, message: "" }) : null;
  const declined = payment?.status === "FAILED";

  return (
    <article className="flex flex-col gap-6">
      <header className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold">Order {order.number}</h1>
        <p>
          Status: <strong data-testid="order-status">{order.status}</strong> · {statusWords[order.status] ?? order.status}
        </p>
        {order.failureReason ? <FormMessage>{failureWords[order.failureReason] ?? order.failureReason}</FormMessage> : null}
        {settling ? (
          <p role="status" className="text-stone-600">
            Waiting for the platform to confirm… this page updates by itself.{" "}
            <Link href={`/account/orders/${order.id}`} className="underline">Check again</Link>
            {polling ? <AutoRefresh /> : null}
          </p>
        ) : null}
        {finalStatuses.has(order.status) ? null : <LiveOrderStatus orderId={order.id} status={order.status} />}
        {error ? <FormMessage>{error}</FormMessage> : null}
      </header>

      {order.status === "AWAITING_PAYMENT" && payment && paymentOpen ? (
        <section aria-labelledby="pay" className="flex flex-col gap-3 rounded border border-amber-300 bg-amber-50 p-4">
          <h2 id="pay" className="text-lg font-semibold">
            Pay {formatMoney(payment.amount, payment.currency)}
          </h2>
          <p className="text-sm">Please pay by {formatDate(order.paymentDueAt)} (UTC), or the order expires.</p>
          {declined ? (
            <FormMessage>
              Your payment was declined.{" "}
              {payment.transactions.filter((t) => t.type.endsWith("FAILURE")).at(-1)?.message ?? ""} You can try again.
            </FormMessage>
          ) : null}
          {payment.provider === "LOCAL" ? (
            <div className="flex gap-3">
              <form action={simulatePayment}>
                <input type="hidden" name="orderId" value={order.id} />
                <input type="hidden" name="paymentId" value={payment.id} />
                <SubmitButton name="outcome" value="SUCCEED">Pay (test card)</SubmitButton>
              </form>
              <form action={simulatePayment}>
                <input type="hidden" name="orderId" value={order.id} />
                <input type="hidden" name="paymentId" value={payment.id} />
                <button type="submit" name="outcome" value="FAIL" className="rounded border border-stone-400 px-4 py-2">
                  Decline (test card)
                </button>
              </form>
            </div>
          ) : payment.clientSecret && stripePublishableKey ? (
            <StripePayment
              publishableKey={stripePublishableKey}
              clientSecret={payment.clientSecret}
              returnUrl={`${siteUrl}/account/orders/${order.id}`}
            />
          ) : (
            <p>Card payments are not available right now.</p>
          )}
        </section>
      ) : null}

      <section aria-labelledby="lines" className="flex flex-col gap-2">
        <h2 id="lines" className="text-lg font-semibold">Items</h2>
        <ul className="flex flex-col gap-2">
          {order.lines.map((line) => {
            const product = line.variant.product;
            return (
              <li key={line.id} className="rounded border border-stone-200 bg-white p-3">
                <p className="font-medium">
                  {line.quantity} × {line.productName ?? product?.name ?? line.sku}
                </p>
                <p className="text-sm text-stone-600">
                  {line.seller?.shopName}
                  {line.unitPrice !== null ? (
                    <>
                      {" · "}
                      {formatMoney(line.unitPrice, order.currency)} each
                      {line.listUnitPrice !== null && line.listUnitPrice > line.unitPrice ? (
                        <>
                          {" "}
                          <span className="sr-only">list price </span>
                          <s>{formatMoney(line.listUnitPrice, order.currency)}</s>
                        </>
                      ) : null}
                    </>
                  ) : null}
                </p>
                {line.total !== null ? (
                  <p className="text-sm" data-testid="order-line-amounts">
                    {line.discount ? (
                      <span className="text-green-800">Discount −{formatMoney(line.discount, order.currency)} · </span>
                    ) : null}
                    {line.shipping ? <>Shipping {formatMoney(line.shipping, order.currency)} · </> : null}
                    {order.taxIncluded ? "incl. VAT" : "Tax"} {formatMoney(line.tax ?? 0, order.currency)} ·{" "}
                    <strong>{formatMoney(line.total, order.currency)}</strong>
                  </p>
                ) : line.lineTotal !== null ? (
                  <p className="text-sm">{formatMoney(line.lineTotal, order.currency)}</p>
                ) : null}
                {order.status === "DELIVERED" && product ? (
                  search.reviewed === product.id ? (
                    <p className="text-sm text-green-800">Thank you for your review.</p>
                  ) : (
                    <form action={writeReview} className="mt-2 flex flex-col gap-2 text-sm">
                      <input type="hidden" name="orderId" value={order.id} />
                      <input type="hidden" name="productId" value={product.id} />
                      <label>
                        Rating{" "}
                        <select name="rating" defaultValue="5" className="rounded border border-stone-300 px-2 py-1">
                          {[5, 4, 3, 2, 1].map((stars) => (
                            <option key={stars} value={stars}>{stars} stars</option>
                          ))}
                        </select>
                      </label>
                      <label className="flex flex-col">
                        Title
                        <input name="title" required maxLength={200} className="rounded border border-stone-300 px-2 py-1" />
                      </label>
                      <label className="flex flex-col">
                        Review
                        <textarea name="body" maxLength={5000} className="rounded border border-stone-300 px-2 py-1" />
                      </label>
                      <SubmitButton>Write a review</SubmitButton>
                    </form>
                  )
                ) : null}
              </li>
            );
          })}
        </ul>
      </section>

      {order.parcels.length > 0 ? (
        <section aria-labelledby="parcels" className="flex flex-col gap-2">
          <h2 id="parcels" className="text-lg font-semibold">Shipping</h2>
          <ul className="flex flex-col gap-2">
            {order.parcels.map((parcel) => (
              <li key={parcel.seller.id} className="rounded border border-stone-200 bg-white p-3 text-sm" data-testid="order-parcel">
                <p className="font-medium">
                  Parcel from {parcel.seller.shopName}: {parcel.methodName} ·{" "}
                  {parcel.price === 0 ? "free" : formatMoney(parcel.price, order.currency)}
                </p>
                {parcel.estimate ? (
                  <p className="text-stone-600">Delivery in {deliveryEstimate(parcel.estimate.minDays, parcel.estimate.maxDays)} once shipped</p>
                ) : null}
                {parcel.shippedAt ? (
                  <p data-testid="parcel-shipped">
                    Shipped {formatDate(parcel.shippedAt)}
                    {parcel.trackingNumber ? <> · tracking number <span className="font-mono">{parcel.trackingNumber}</span></> : null}
                  </p>
                ) : (
                  <p className="text-stone-600">Not shipped yet</p>
                )}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section aria-labelledby="totals" className="flex flex-col gap-2">
        <h2 id="totals" className="sr-only">Totals</h2>
        <dl className="grid max-w-sm grid-cols-[1fr_auto] gap-x-6 gap-y-1 text-sm" data-testid="order-totals">
          <dt>Subtotal</dt>
          <dd className="text-right">{formatMoney(order.subtotal, order.currency)}</dd>
          {order.discounts.map((discount, index) => (
            <div key={`${discount.kind}-${discount.code ?? discount.name}-${index}`} className="contents text-green-800" data-testid="order-discount">
              <dt>{discount.code ? `${discount.name} (${discount.code})` : discount.name}</dt>
              <dd className="text-right">−{formatMoney(discount.amount, order.currency)}</dd>
            </div>
          ))}
          <dt>Shipping</dt>
          <dd className="text-right">{formatMoney(order.shipping, order.currency)}</dd>
          <dt>Tax</dt>
          <dd className="text-right">
            {order.taxIncluded ? "incl. VAT " : "+ "}
            {formatMoney(order.tax, order.currency)}
          </dd>
          <dt className="font-semibold">Total</dt>
          <dd className="text-right font-semibold" data-testid="order-total">{formatMoney(order.total, order.currency)}</dd>
        </dl>
      </section>

      <section aria-labelledby="history" className="flex flex-col gap-2">
        <h2 id="history" className="text-lg font-semibold">Status history</h2>
        <ol className="flex flex-col gap-1 text-sm" data-testid="status-history">
          {order.statusHistory.map((event) => (
            <li key={`${event.status}-${event.at}`}>
              <strong>{event.status}</strong> · {formatDate(event.at)}
              {event.note ? ` · ${event.note}` : null}
            </li>
          ))}
        </ol>
      </section>

      <section className="text-sm text-stone-600">
        Shipping to {order.shippingAddress.firstName} {order.shippingAddress.lastName}, {order.shippingAddress.streetAddress1},{" "}
        {order.shippingAddress.city} {order.shippingAddress.postalCode}, {order.shippingAddress.countryCode}
      </section>
    </article>
  );
}
