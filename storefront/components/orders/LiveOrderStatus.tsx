"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

interface StatusEvent {
  data?: { orderStatusChanged?: { status: string } | null } | null;
}

/**
 * Follows the order's status live (Server-Sent Events from the order's `live` route) and
 * re-renders the page from the server when it changes, so payment and shipping show up
 * without a reload. Once the stream is open the page is read again, for a change made
 * between rendering and subscribing.
 */
export function LiveOrderStatus({ orderId, status }: { orderId: string; status: string }) {
  const router = useRouter();
  useEffect(() => {
    const source = new EventSource(`/account/orders/${encodeURIComponent(orderId)}/live`);
    source.addEventListener("open", () => router.refresh(), { once: true });
    source.addEventListener("next", (event) => {
      const body = JSON.parse((event as MessageEvent<string>).data) as StatusEvent;
      const next = body.data?.orderStatusChanged?.status;
      if (next !== undefined && next !== status) router.refresh();
    });
    source.addEventListener("complete", () => source.close());
    return () => source.close();
  }, [orderId, status, router]);
  return <span hidden data-testid="order-live" />;
}
