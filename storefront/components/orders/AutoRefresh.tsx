"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

/** While the platform decides (the checkout saga, a payment), re-render the page from the server. */
export function AutoRefresh({ everyMs = 1500 }: { everyMs?: number }) {
  const router = useRouter();
  useEffect(() => {
    const timer = setInterval(() => router.refresh(), everyMs);
    return () => clearInterval(timer);
  }, [router, everyMs]);
  return null;
}
