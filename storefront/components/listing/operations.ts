import { graphql } from "@/lib/shopgraph/gql";

export const ProductListingQuery = graphql(`
  query ProductListing($first: Int!, $after: String, $filter: ProductFilterInput, $sort: ProductSort!) {
    products(first: $first, after: $after, filter: $filter, sort: $sort) {
      totalCount
      totalCountIsExact
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...ProductCard
      }
      facets {
        categories {
          category {
            id
            name
            slug
          }
          count
        }
        priceBands {
          min
          max
          count
        }
        inStock
        outOfStock
      }
    }
  }

  fragment ProductCard on Product {
    id
    name
    slug
    inStock
    priceRange {
      start {
        amount
        currency
      }
      stop {
        amount
        currency
      }
    }
    listPriceRange {
      start {
        amount
        currency
      }
    }
    promotion {
      id
      name
    }
    images {
      url
      altText
    }
    rating {
      average
      count
    }
    seller {
      shopName
    }
  }
`);
