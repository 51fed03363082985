"""The orders subgraph: federation types, dataloaders, queries and mutations."""
