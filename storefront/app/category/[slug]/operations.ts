import { graphql } from "@/lib/shopgraph/gql";

export const CategoryPageQuery = graphql(`
  query CategoryPage($slug: String!) {
    category(slug: $slug) {
      id
      name
      slug
      parent {
        name
        slug
      }
      children {
        id
        name
        slug
      }
    }
  }
`);
