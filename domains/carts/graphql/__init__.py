"""The carts subgraph: federation types, dataloaders, queries and mutations."""
