import { graphql } from "@/lib/shopgraph/gql";

export const CheckoutCompleteMutation = graphql(`
  mutation CheckoutComplete(
    $cartId: ID!
    $address: ShippingAddressInput!
    $idempotencyKey: String!
    $shipping: [ParcelShippingChoiceInput!]
    $quoteToken: String
  ) {
    checkoutComplete(
      cartId: $cartId
      shippingAddress: $address
      idempotencyKey: $idempotencyKey
      shipping: $shipping
      quoteToken: $quoteToken
    ) {
      orderId
      status
      errors {
        field
        code
        message
        variantIds
        lineIds
        changes {
          what
          subject
          before
          after
          message
        }
      }
    }
  }
`);
