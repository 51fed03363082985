import { graphql } from "@/lib/shopgraph/gql";

export const CheckoutCompleteMutation = graphql(`
  mutation CheckoutComplete($cartId: ID!, $address: ShippingAddressInput!, $idempotencyKey: String!) {
    checkoutComplete(cartId: $cartId, shippingAddress: $address, idempotencyKey: $idempotencyKey) {
      orderId
      status
      errors {
        field
        code
        message
        variantIds
        lineIds
      }
    }
  }
`);
