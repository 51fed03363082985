import { graphql } from "@/lib/shopgraph/gql";

export const CartByIdQuery = graphql(`
  query CartById($id: ID!) {
    cart(id: $id) {
      ...CartDetails
    }
  }

  fragment CartDetails on Cart {
    id
    status
    currency
    totalQuantity
    isGuest
    lines {
      id
      quantity
      variant {
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
        inventory {
          quantityAvailable
          inStock
        }
        product {
          id
          name
          slug
          images {
            url
            altText
          }
          seller {
            shopName
          }
        }
      }
    }
  }
`);

export const ViewerCartQuery = graphql(`
  query ViewerCart {
    me {
      id
      cart {
        ...CartDetails
      }
    }
  }
`);

export const CartCreateMutation = graphql(`
  mutation CartCreate($lines: [CartLineInput!]) {
    cartCreate(lines: $lines) {
      cart {
        id
        totalQuantity
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const CartLinesAddMutation = graphql(`
  mutation CartLinesAdd($cartId: ID!, $lines: [CartLineInput!]!) {
    cartLinesAdd(cartId: $cartId, lines: $lines) {
      cart {
        id
        totalQuantity
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const CartLinesUpdateMutation = graphql(`
  mutation CartLinesUpdate($cartId: ID!, $lines: [CartLineUpdateInput!]!) {
    cartLinesUpdate(cartId: $cartId, lines: $lines) {
      cart {
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

export const CartLinesRemoveMutation = graphql(`
  mutation CartLinesRemove($cartId: ID!, $lineIds: [ID!]!) {
    cartLinesRemove(cartId: $cartId, lineIds: $lineIds) {
      cart {
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

export const CartMergeMutation = graphql(`
  mutation CartMerge($guestCartId: ID!) {
    cartMerge(guestCartId: $guestCartId) {
      cart {
        id
        totalQuantity
      }
      errors {
        field
        code
        message
      }
    }
  }
`);
