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
    vouchers {
      code
      name
    }
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
        listPrice {
          amount
          currency
        }
        promotion {
          id
          name
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
            id
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

export const CartPricingQuery = graphql(`
  query CartPricing($id: ID!, $address: PricingAddressInput!, $shipping: [ParcelShippingChoiceInput!]) {
    cart(id: $id) {
      id
      pricing(address: $address, shipping: $shipping) {
        ...PriceSummary
      }
    }
  }

  fragment PriceSummary on CartPricing {
    currency
    taxIncluded
    subtotal
    discount
    shipping
    tax
    total
    discounts {
      kind
      name
      code
      amount
    }
    parcels {
      seller {
        id
        shopName
      }
      options {
        methodId
        name
        price
        freeAbove
        minDays
        maxDays
      }
      chosen {
        methodId
        name
        price
        minDays
        maxDays
      }
      price
      tax
    }
    lines {
      lineId
      variantId
      quantity
      listUnitPrice
      unitPrice
      discount
      shipping
      tax
      total
    }
    quoteToken
  }
`);

export const PricingDefaultsQuery = graphql(`
  query PricingDefaults {
    me {
      id
      defaultShippingAddress {
        countryCode
        countryArea
        postalCode
      }
    }
  }
`);

export const CartVoucherApplyMutation = graphql(`
  mutation CartVoucherApply($cartId: ID!, $code: String!) {
    cartVoucherApply(cartId: $cartId, code: $code) {
      cart {
        id
        vouchers {
          code
          name
        }
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const CartVoucherRemoveMutation = graphql(`
  mutation CartVoucherRemove($cartId: ID!, $code: String!) {
    cartVoucherRemove(cartId: $cartId, code: $code) {
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
