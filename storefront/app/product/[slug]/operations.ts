import { graphql } from "@/lib/shopgraph/gql";

export const ProductPageQuery = graphql(`
  query ProductPage($slug: String!) {
    product(slug: $slug) {
      id
      name
      slug
      description
      inStock
      seller {
        shopName
        slug
      }
      category {
        name
        slug
      }
      images {
        url
        altText
      }
      rating {
        average
        count
      }
      priceRange {
        start {
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
        endsAt
      }
      variants {
        id
        sku
        options {
          name
          value
        }
        price {
          amount
          currency
        }
        listPrice {
          amount
          currency
        }
        promotion {
          id
          name
        }
        compareAtPrice {
          amount
          currency
        }
        inventory {
          quantityAvailable
          inStock
        }
      }
      reviews(first: 10) {
        totalCount
        nodes {
          id
          rating
          title
          body
          verifiedPurchase
          createdAt
          author {
            name
          }
        }
      }
    }
  }
`);
