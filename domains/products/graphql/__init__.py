"""The products subgraph: its GraphQL types, dataloaders, queries and mutations."""
