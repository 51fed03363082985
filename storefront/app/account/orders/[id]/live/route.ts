import { OrderStatusSubscription } from "@/components/orders/operations";
import { shopgraphEvents } from "@/lib/shopgraph/fetch";

export const dynamic = "force-dynamic";

const EVENT_STREAM = "text/event-stream";

/**
 * The order's status changes (`orderStatusChanged` through the gateway) as Server-Sent
 * Events for the order page, relayed with the shopper's session. Anything but a stream
 * (signed out, not their order, the platform down) is answered with an error status, on
 * which the browser's EventSource stops; the page still has its "Check again" link.
 */
export async function GET(request: Request, context: RouteContext<"/account/orders/[id]/live">) {
  const { id } = await context.params;
  let upstream: Response;
  try {
    upstream = await shopgraphEvents(OrderStatusSubscription, { id }, request.signal);
  } catch {
    return Response.json({ errors: [{ message: "The platform is unreachable." }] }, { status: 502 });
  }
  const streaming = (upstream.headers.get("content-type") ?? "").startsWith(EVENT_STREAM);
  if (!upstream.ok || !streaming || upstream.body === null) {
    const body = await upstream.text();
    return new Response(body, {
      status: upstream.ok ? 502 : upstream.status,
      headers: { "content-type": "application/json", "cache-control": "no-store" },
    });
  }
  return new Response(upstream.body, {
    headers: {
      "content-type": `${EVENT_STREAM}; charset=utf-8`,
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  });
}
