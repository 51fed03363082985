import { graphql } from "@/lib/shopgraph/gql";

export const CategoryTreeQuery = graphql(`
  query CategoryTree {
    categories {
      id
      name
      slug
      children {
        id
        name
        slug
      }
    }
  }
`);

export const ViewerQuery = graphql(`
  query Viewer {
    me {
      id
      name
      email
    }
  }
`);
