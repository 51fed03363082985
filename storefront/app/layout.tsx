import type { Metadata } from "next";
import type { ReactNode } from "react";
import { StoreHeader } from "@/components/layout/StoreHeader";
import { siteUrl } from "@/lib/shopgraph/config";
import "./globals.css";

export const metadata: Metadata = {
  metadataBase: new URL(siteUrl),
  title: { default: "Shopgraph", template: "%s · Shopgraph" },
  description: "Independent shops, one cart: clothing, footwear, home, outdoors and stationery.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="font-sans">
        <StoreHeader />
        <main className="mx-auto max-w-6xl px-4 py-6">{children}</main>
      </body>
    </html>
  );
}
