import { graphql } from "@/lib/shopgraph/gql";

export const ProductSlugQuery = graphql(`
  query ProductSlug($id: ID!) {
    product(id: $id) {
      slug
    }
  }
`);
