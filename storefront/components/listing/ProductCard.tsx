import Image from "next/image";
import Link from "next/link";
import { SalePrice } from "@/components/pricing/SalePrice";
import type { ProductCardFragment } from "@/lib/shopgraph/gql/graphql";

/** `firstRow`: above the fold on a phone (two columns), so its picture is fetched at once. */
export function ProductCard({ product, firstRow = false }: { product: ProductCardFragment; firstRow?: boolean }) {
  const image = product.images[0];
  const price = product.priceRange?.start;
  return (
    <li className="flex flex-col overflow-hidden rounded-lg border border-stone-200 bg-white">
      <Link href={`/product/${product.slug}`} className="flex flex-1 flex-col" data-testid="product-card">
        <div className="relative aspect-square bg-stone-100">
          {image ? (
            <Image
              src={image.url}
              alt={image.altText}
              fill
              preload={firstRow}
              sizes="(min-width: 768px) 25vw, 50vw"
              className="object-cover"
            />
          ) : null}
        </div>
        <div className="flex flex-1 flex-col gap-1 p-3">
          <span className="font-medium">{product.name}</span>
          <span className="text-sm text-stone-500">{product.seller.shopName}</span>
          <span className="mt-auto flex items-center justify-between text-sm">
            {price ? (
              <SalePrice price={price} listPrice={product.listPriceRange?.start} promotionName={product.promotion?.name} />
            ) : (
              <span className="font-semibold">—</span>
            )}
            {product.rating.average !== null ? (
              <span aria-label={`Rated ${product.rating.average} out of 5`}>★ {product.rating.average.toFixed(1)}</span>
            ) : null}
          </span>
          {!product.inStock ? <span className="text-sm text-red-700">Sold out</span> : null}
        </div>
      </Link>
    </li>
  );
}
