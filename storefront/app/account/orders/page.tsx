import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { getViewer } from "@/components/account/viewer";
import { FormMessage } from "@/components/forms/fields";
import { OrderHistoryQuery } from "@/components/orders/operations";
import { formatDate, formatMoney } from "@/lib/format/money";
import { messageForRequestErrors } from "@/lib/shopgraph/errors";
import { shopgraph } from "@/lib/shopgraph/fetch";

export const metadata: Metadata = { title: "Your orders", robots: { index: false } };

export default async function OrderHistoryPage(props: PageProps<"/account/orders">) {
  if (!(await getViewer())) redirect("/sign-in?next=/account/orders");
  const { after } = await props.searchParams;
  const { data, errors } = await shopgraph(OrderHistoryQuery, { first: 20, after: typeof after === "string" ? after : null });
  const orders = data?.me?.orders;
  return (
    <section className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Your orders</h1>
      {!orders ? <FormMessage>{messageForRequestErrors(errors)}</FormMessage> : null}
      {orders && orders.nodes.length === 0 ? <p>No orders yet.</p> : null}
      <ul className="flex flex-col gap-2">
        {orders?.nodes.map((order) => (
          <li key={order.id}>
            <Link href={`/account/orders/${order.id}`} className="flex justify-between rounded border border-stone-200 bg-white p-3 hover:bg-stone-100" data-testid="order-row">
              <span className="font-medium">{order.number}</span>
              <span>{formatDate(order.createdAt)}</span>
              <span>{order.status}</span>
              <span>{formatMoney(order.total, order.currency)}</span>
            </Link>
          </li>
        ))}
      </ul>
      {orders?.pageInfo.hasNextPage && orders.pageInfo.endCursor ? (
        <Link href={`/account/orders?after=${encodeURIComponent(orders.pageInfo.endCursor)}`} className="underline">Older orders</Link>
      ) : null}
    </section>
  );
}
