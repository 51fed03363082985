/** Minor units (1999) and an ISO 4217 code (USD) as a shopper reads them ($19.99). */
export function formatMoney(amount: number, currency: string | null | undefined): string {
  const code = currency ?? "USD";
  const digits = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions()
    .maximumFractionDigits ?? 2;
  return new Intl.NumberFormat("en", { style: "currency", currency: code }).format(amount / 10 ** digits);
}

export function formatDate(iso: string): string {
  return new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(
    new Date(iso),
  );
}
