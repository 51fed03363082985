import type { Metadata } from "next";
import Image from "next/image";
import Link from "next/link";
import { notFound } from "next/navigation";
import { cache } from "react";
import { addToCart } from "@/components/cart/actions";
import { FormMessage, SubmitButton } from "@/components/forms/fields";
import { SalePrice } from "@/components/pricing/SalePrice";
import { formatDate } from "@/lib/format/money";
import { messageForPayloadError, messageForRequestErrors } from "@/lib/shopgraph/errors";
import { shopgraph } from "@/lib/shopgraph/fetch";
import { ProductPageQuery } from "./operations";

const getProduct = cache(async (slug: string) => {
  const result = await shopgraph(ProductPageQuery, { slug }, { tags: ["products", `product:slug:${slug}`] });
  return { product: result.data?.product ?? null, errors: result.errors };
});

export async function generateMetadata(props: PageProps<"/product/[slug]">): Promise<Metadata> {
  const { slug } = await props.params;
  const { product } = await getProduct(slug);
  if (!product) return { title: "Not found" };
  const description = product.description.slice(0, 160);
  return {
    title: product.name,
    description,
    alternates: { canonical: `/product/${product.slug}` },
    openGraph: {
      title: product.name,
      description,
      images: product.images.slice(0, 1).map((image) => ({ url: image.url, alt: image.altText })),
    },
  };
}

function productJsonLd(product: NonNullable<Awaited<ReturnType<typeof getProduct>>["product"]>, url: string) {
  return {
    "@context": "https://schema.org",
    "@type": "Product",
    name: product.name,
    description: product.description,
    image: product.images.map((image) => image.url),
    url,
    brand: { "@type": "Brand", name: product.seller.shopName },
    ...(product.rating.average !== null
      ? { aggregateRating: { "@type": "AggregateRating", ratingValue: product.rating.average, reviewCount: product.rating.count } }
      : {}),
    offers: product.variants.map((variant) => ({
      "@type": "Offer",
      sku: variant.sku,
      price: (variant.price.amount / 100).toFixed(2),
      priceCurrency: variant.price.currency,
      availability: variant.inventory.inStock ? "https://schema.org/InStock" : "https://schema.org/OutOfStock",
      url,
    })),
  };
}

export default async function ProductPage(props: PageProps<"/product/[slug]">) {
  const { slug } = await props.params;
  const { error } = await props.searchParams;
  const { product, errors } = await getProduct(slug);
  if (!product) {
    if (errors.length > 0) return <FormMessage>{messageForRequestErrors(errors)}</FormMessage>;
    notFound();
  }
  const firstAvailable = product.variants.find((variant) => variant.inventory.inStock) ?? product.variants[0];
  const jsonLd = JSON.stringify(productJsonLd(product, `/product/${product.slug}`)).replace(/</g, "\\u003c");

  return (
    <article className="flex flex-col gap-8">
      <script type="application/ld+json" dangerouslySetInnerHTML={{ __html: jsonLd }} />
      <nav aria-label="Breadcrumb" className="text-sm text-stone-600">
        <Link href="/">Home</Link>
        {product.category ? (
          <>
            {" / "}
            <Link href={`/category/${product.category.slug}`}>{product.category.name}</Link>
          </>
        ) : null}
      </nav>
      <div className="grid gap-8 md:grid-cols-2">
        <div className="grid grid-cols-2 gap-2">
          {product.images.map((image, index) => (
            <div key={image.url} className={`relative aspect-square bg-stone-100 ${index === 0 ? "col-span-2" : ""}`}>
              <Image src={image.url} alt={image.altText} fill preload={index === 0} sizes="(min-width: 768px) 50vw, 100vw" className="object-cover" />
            </div>
          ))}
        </div>
        <div className="flex flex-col gap-4">
          <h1 className="text-3xl font-semibold">{product.name}</h1>
          <p className="text-stone-600">
            Sold by <span data-testid="seller-name">{product.seller.shopName}</span>
          </p>
          <p aria-label="Rating">
            {product.rating.average !== null
              ? `★ ${product.rating.average.toFixed(1)} (${product.rating.count} ${product.rating.count === 1 ? "review" : "reviews"})`
              : "No reviews yet"}
          </p>
          {product.priceRange ? (
            <p className="flex flex-col gap-1 text-xl" data-testid="product-price">
              <SalePrice
                price={product.priceRange.start}
                listPrice={product.listPriceRange?.start}
                promotionName={product.promotion?.name}
              />
              {product.promotion?.endsAt ? (
                <span className="text-sm text-stone-600">
                  {product.promotion.name} ends {formatDate(product.promotion.endsAt)} (UTC)
                </span>
              ) : null}
            </p>
          ) : null}
          {errors.length > 0 ? <FormMessage>Some details could not be loaded: {messageForRequestErrors(errors)}</FormMessage> : null}
          {typeof error === "string" ? (
            <FormMessage>{messageForPayloadError({ code: error, message: "" })}</FormMessage>
          ) : null}
          <form action={addToCart} className="flex flex-col gap-3">
            <input type="hidden" name="slug" value={product.slug} />
            <fieldset className="flex flex-col gap-2">
              <legend className="mb-1 font-medium">Choose an option</legend>
              {product.variants.map((variant) => {
                const label = variant.options.map((option) => `${option.name}: ${option.value}`).join(", ") || variant.sku;
                const available = variant.inventory.quantityAvailable;
                return (
                  <label key={variant.id} className="flex items-center gap-3 rounded border border-stone-200 bg-white px-3 py-2" data-testid="variant-option">
                    <input
                      type="radio"
                      name="variantId"
                      value={variant.id}
                      defaultChecked={variant.id === firstAvailable?.id}
                      disabled={!variant.inventory.inStock}
                    />
                    <span className="flex-1">{label}</span>
                    <SalePrice
                      price={variant.price}
                      listPrice={variant.listPrice}
                      promotionName={variant.promotion?.name}
                      compareAtPrice={variant.compareAtPrice}
                    />
                    <span className={`text-sm ${available > 0 ? "text-stone-600" : "text-red-700"}`}>
                      {available > 0 ? (available <= 5 ? `Only ${available} left` : "In stock") : "Sold out"}
                    </span>
                  </label>
                );
              })}
            </fieldset>
            <label className="flex items-center gap-2">
              Quantity
              <input name="quantity" type="number" min={1} max={999} defaultValue={1} className="w-20 rounded border border-stone-300 px-2 py-1" />
            </label>
            {product.inStock ? <SubmitButton>Add to cart</SubmitButton> : <p className="text-red-700">Sold out</p>}
          </form>
          <p className="whitespace-pre-line text-stone-700">{product.description}</p>
        </div>
      </div>
      <section aria-labelledby="reviews" className="flex flex-col gap-3">
        <h2 id="reviews" className="text-xl font-semibold">
          Reviews ({product.reviews.totalCount})
        </h2>
        {product.reviews.nodes.length === 0 ? <p>No reviews yet.</p> : null}
        <ul className="flex flex-col gap-3">
          {product.reviews.nodes.map((review) => (
            <li key={review.id} className="rounded border border-stone-200 bg-white p-3" data-testid="review">
              <p className="font-medium">
                {"★".repeat(review.rating)}
                {"☆".repeat(5 - review.rating)} {review.title}
              </p>
              <p className="text-sm text-stone-600">
                {review.author.name} · {formatDate(review.createdAt)}
                {review.verifiedPurchase ? <span className="ml-2 rounded bg-green-100 px-2 text-green-800">Verified purchase</span> : null}
              </p>
              {review.body ? <p className="mt-1">{review.body}</p> : null}
            </li>
          ))}
        </ul>
      </section>
    </article>
  );
}
