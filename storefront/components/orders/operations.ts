import { graphql } from "@/lib/shopgraph/gql";

export const OrderHistoryQuery = graphql(`
  query OrderHistory($first: Int!, $after: String) {
    me {
      id
      orders(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          number
          status
          total
          currency
          createdAt
        }
      }
    }
  }
`);

export const OrderPageQuery = graphql(`
  query OrderPage($id: ID!) {
    order(id: $id) {
      id
      number
      status
      currency
      subtotal
      discount
      discounts {
        kind
        name
        code
        amount
      }
      shipping
      tax
      taxIncluded
      total
      parcels {
        seller {
          id
          shopName
        }
        methodName
        price
        tax
        estimate {
          minDays
          maxDays
        }
        shippedAt
        trackingNumber
      }
      failureReason
      paymentDueAt
      createdAt
      shippingAddress {
        firstName
        lastName
        streetAddress1
        streetAddress2
        city
        postalCode
        countryCode
      }
      lines {
        id
        productName
        sku
        listUnitPrice
        unitPrice
        quantity
        lineTotal
        discount
        shipping
        tax
        total
        seller {
          shopName
        }
        variant {
          id
          product {
            id
            name
            slug
          }
        }
      }
      statusHistory {
        status
        at
        note
      }
      payment {
        id
        provider
        status
        amount
        currency
        clientSecret
        transactions {
          id
          type
          message
          createdAt
        }
      }
    }
  }
`);

export const PaymentSimulateMutation = graphql(`
  mutation PaymentSimulate($paymentId: ID!, $outcome: PaymentSimulationOutcome!) {
    paymentSimulate(paymentId: $paymentId, outcome: $outcome) {
      payment {
        id
        status
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const ReviewCreateMutation = graphql(`
  mutation ReviewCreate($productId: ID!, $input: ReviewCreateInput!) {
    reviewCreate(productId: $productId, input: $input) {
      review {
        id
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const OrderStatusSubscription = graphql(`
  subscription OrderStatus($id: ID!) {
    orderStatusChanged(orderId: $id) {
      id
      status
    }
  }
`);
