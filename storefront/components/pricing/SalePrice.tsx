import { formatMoney } from "@/lib/format/money";

interface Amount {
  amount: number;
  currency: string;
}

/**
 * What one unit sells for. On promotion: the list price struck through beside it, and the
 * promotion's name; otherwise the seller's compare-at price, if any, struck through.
 */
export function SalePrice(props: {
  price: Amount;
  listPrice?: Amount | null;
  promotionName?: string | null;
  compareAtPrice?: Amount | null;
  className?: string;
}) {
  const { price, listPrice, promotionName, compareAtPrice } = props;
  const promoted = Boolean(promotionName) && listPrice !== null && listPrice !== undefined && listPrice.amount > price.amount;
  const struck = promoted ? listPrice : compareAtPrice && compareAtPrice.amount > price.amount ? compareAtPrice : null;
  return (
    <span className={`inline-flex flex-wrap items-baseline gap-x-2 ${props.className ?? ""}`}>
      <span className={`font-semibold ${promoted ? "text-red-700" : ""}`} data-testid="sale-price">
        {formatMoney(price.amount, price.currency)}
      </span>
      {struck ? (
        <span className="text-sm text-stone-500">
          <span className="sr-only">{promoted ? "List price " : "Was "}</span>
          <s data-testid="list-price">{formatMoney(struck.amount, struck.currency)}</s>
        </span>
      ) : null}
      {promoted ? (
        <span className="rounded bg-red-100 px-1.5 text-xs font-medium text-red-800" data-testid="promotion-name">
          {promotionName}
        </span>
      ) : null}
    </span>
  );
}
