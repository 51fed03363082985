"""The benchmark's workloads: each one named GraphQL operation with its variables.

Every system measured (our gateway, the peer gateways, the SQL floor) is sent exactly
these bodies, and their answers are compared before any timing. Variables that depend
on the data set (a product slug, a variant id) are filled in from the loaded database by
`Targets`, so the same seed always gives the same bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STOREFRONT_LISTING = """
query StorefrontListing($first: Int!) {
  products(first: $first, sort: NEWEST) {
    edges {
      node {
        id
        name
        slug
        inStock
        priceRange { start { amount currency } }
        images { url altText }
        rating { average count }
        seller { shopName }
      }
    }
  }
}
"""

PRODUCT_PAGE = """
query ProductPage($slug: String!) {
  product(slug: $slug) {
    id
    name
    description
    category { name slug }
    seller { shopName slug }
    images { url altText }
    variants {
      id
      sku
      options { name value }
      price { amount currency }
      inventory { quantityAvailable inStock }
    }
    rating { average count }
    reviews(first: 10) {
      totalCount
      edges { node { rating title body author { name } } }
    }
  }
}
"""

SEARCH = """
query Search($filter: ProductFilterInput!) {
  products(first: 20, filter: $filter, sort: RELEVANCE) {
    totalCount
    edges {
      node {
        id
        name
        slug
        priceRange { start { amount currency } }
        rating { average count }
      }
    }
    facets {
      categories { category { slug } count }
      inStock
      outOfStock
    }
  }
}
"""

CART_ADD = """
mutation CartAdd($lines: [CartLineInput!]) {
  cartCreate(lines: $lines) {
    cart {
      status
      currency
      totalQuantity
      lines {
        quantity
        variant { sku price { amount currency } product { name } }
      }
    }
    errors { field code message }
  }
}
"""

CHECKOUT = """
mutation Checkout($cartId: ID!, $address: ShippingAddressInput!, $key: String!) {
  checkoutComplete(cartId: $cartId, shippingAddress: $address, idempotencyKey: $key) {
    status
    order { id }
    errors { field code message }
  }
}
"""

# The signed-in shopper's cart, filled before each checkout (not timed).
CHECKOUT_CART = """
mutation CheckoutCart($lines: [CartLineInput!]) {
  cartCreate(lines: $lines) { cart { id } errors { code message } }
}
"""

SEARCH_TEXT = "linen"
SEARCH_FILTER: dict[str, Any] = {
    "search": SEARCH_TEXT,
    "inStock": True,
    "minPrice": 2_000,
    "maxPrice": 20_000,
    "currency": "USD",
}

ADDRESS = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "streetAddress1": "12 St James's Square",
    "city": "London",
    "postalCode": "SW1Y 4JH",
    "countryCode": "GB",
}


@dataclass(frozen=True)
class Targets:
    """Rows of the loaded data set that the workloads name."""

    product_slug: str  # an active product with reviews, for the product page
    variant_id: str  # a variant in stock, for the cart


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    body: dict[str, Any]
    # Reads are timed under open load; writes change the data, and checkout needs a
    # fresh cart and idempotency key per request, so it is driven one shopper at a time.
    kind: str = "read"


def listing_body(page_size: int) -> dict[str, Any]:
    return {
        "query": STOREFRONT_LISTING,
        "operationName": "StorefrontListing",
        "variables": {"first": page_size},
    }


def workloads(targets: Targets) -> list[Workload]:
    return [
        Workload("listing", "storefront listing (24 products)", listing_body(24)),
        Workload(
            "product",
            "product page (variants, seller, 10 reviews with authors)",
            {
                "query": PRODUCT_PAGE,
                "operationName": "ProductPage",
                "variables": {"slug": targets.product_slug},
            },
        ),
        Workload(
            "search",
            f"search '{SEARCH_TEXT}' in stock, 20.00-200.00 USD, with facets",
            {"query": SEARCH, "operationName": "Search", "variables": {"filter": SEARCH_FILTER}},
        ),
        Workload(
            "cart_add",
            "cart add (a guest cart with one line)",
            {
                "query": CART_ADD,
                "operationName": "CartAdd",
                "variables": {"lines": [{"variantId": targets.variant_id, "quantity": 1}]},
            },
            kind="write",
        ),
    ]
