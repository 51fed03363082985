"""The payments subgraph: federation types, dataloaders, queries and mutations."""
