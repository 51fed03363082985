"""GraphQL helpers every subgraph uses: context, loaders, unit of work, pagination."""
