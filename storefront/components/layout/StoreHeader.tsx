import Link from "next/link";
import { getCart } from "@/components/cart/get-cart";
import { getViewer } from "@/components/account/viewer";
import { getCategoryTree } from "./catalog";

export async function StoreHeader() {
  const [categories, viewer, cart] = await Promise.all([getCategoryTree(), getViewer(), getCart()]);
  return (
    <header className="border-b border-stone-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-4 px-4 py-3">
        <Link href="/" className="text-xl font-bold tracking-tight">
          Shopgraph
        </Link>
        <form action="/search" method="get" role="search" className="flex flex-1 gap-2">
          <label htmlFor="site-search" className="sr-only">
            Search products
          </label>
          <input
            id="site-search"
            name="q"
            type="search"
            placeholder="Search products"
            className="w-full rounded border border-stone-300 px-3 py-1.5"
          />
          <button type="submit" className="rounded bg-stone-800 px-3 py-1.5 text-white">
            Search
          </button>
        </form>
        <nav className="flex items-center gap-4 text-sm">
          {viewer ? (
            <>
              <Link href="/account/orders">Orders</Link>
              <span className="text-stone-500" data-testid="viewer-name">
                {viewer.name}
              </span>
              <form action="/sign-out" method="post">
                <button type="submit" className="underline">
                  Sign out
                </button>
              </form>
            </>
          ) : (
            <>
              <Link href="/sign-in">Sign in</Link>
              <Link href="/register">Register</Link>
            </>
          )}
          <Link href="/cart" className="rounded bg-amber-500 px-3 py-1.5 font-medium text-stone-900">
            Cart <span data-testid="cart-count">{cart?.totalQuantity ?? 0}</span>
          </Link>
        </nav>
      </div>
      <nav aria-label="Categories" className="mx-auto flex max-w-6xl flex-wrap gap-4 px-4 pb-3 text-sm">
        {categories.map((category) => (
          <Link key={category.id} href={`/category/${category.slug}`} className="hover:underline">
            {category.name}
          </Link>
        ))}
      </nav>
    </header>
  );
}
