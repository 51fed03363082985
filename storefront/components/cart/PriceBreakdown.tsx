// The price summary of a cart for a destination: each seller's parcel with its shipping
// (radio buttons on the cart page, the choice on checkout), then subtotal, each discount
// by name, shipping, tax and total. No hooks: the cart page renders it on the server, the
// checkout form in the browser with the quote its action answered.
import { formatMoney } from "@/lib/format/money";
import { deliveryEstimate, summaryRows, type PriceSummary, type SummaryRow } from "./price-summary";

export function PriceBreakdown({ pricing, chooseShipping = false }: { pricing: PriceSummary; chooseShipping?: boolean }) {
  const money = (amount: number) => formatMoney(amount, pricing.currency);
  return (
    <div className="flex flex-col gap-4" data-testid="price-summary">
      <ul className="flex flex-col gap-3">
        {pricing.parcels.map((parcel) => {
          const choosable = chooseShipping && parcel.options.some((option) => option.methodId !== null);
          return (
            <li key={parcel.seller.id} className="rounded border border-stone-200 bg-white p-3" data-testid="parcel">
              <p className="font-medium">
                Parcel from {parcel.seller.shopName}:{" "}
                <span data-testid="parcel-shipping">{parcel.price === 0 ? "free shipping" : money(parcel.price)}</span>
              </p>
              {choosable ? (
                <fieldset key={`${parcel.seller.id}-${parcel.chosen.methodId}`} className="mt-2 flex flex-col gap-1">
                  <legend className="sr-only">Shipping for the parcel from {parcel.seller.shopName}</legend>
                  {parcel.options.map((option) =>
                    option.methodId === null ? null : (
                      <label key={option.methodId} className="flex flex-wrap items-center gap-2 text-sm" data-testid="shipping-option">
                        <input
                          type="radio"
                          name={`ship:${parcel.seller.id}`}
                          value={option.methodId}
                          defaultChecked={option.methodId === parcel.chosen.methodId}
                        />
                        <span className="font-medium">{option.name}</span>
                        <span>{money(option.price)}</span>
                        <span className="text-stone-600">· arrives in {deliveryEstimate(option.minDays, option.maxDays)}</span>
                        {option.freeAbove !== null ? (
                          <span className="text-stone-600">· free above {money(option.freeAbove)}</span>
                        ) : null}
                      </label>
                    ),
                  )}
                </fieldset>
              ) : (
                <p className="text-sm text-stone-600" data-testid="chosen-shipping">
                  {parcel.chosen.name} · arrives in {deliveryEstimate(parcel.chosen.minDays, parcel.chosen.maxDays)}
                </p>
              )}
            </li>
          );
        })}
      </ul>
      <dl className="grid max-w-sm grid-cols-[1fr_auto] gap-x-6 gap-y-1">
        {summaryRows(pricing).map((row) => (
          <div key={row.key} className="contents" data-testid={`summary-${row.kind}`}>
            <dt className={row.kind === "total" ? "font-semibold" : row.kind === "discount" ? "text-green-800" : ""}>
              {row.label}
            </dt>
            <dd
              className={`text-right ${row.kind === "total" ? "font-semibold" : row.kind === "discount" ? "text-green-800" : ""}`}
              data-testid={`summary-${row.kind}-amount`}
            >
              {shown(row, money)}
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

function shown(row: SummaryRow, money: (amount: number) => string): string {
  if (row.kind === "discount") return `−${money(-row.amount)}`;
  if (row.kind === "tax") return row.note === "incl. VAT" ? `incl. VAT ${money(row.amount)}` : `+ ${money(row.amount)}`;
  return money(row.amount);
}
