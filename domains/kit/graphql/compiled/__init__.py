"""A compiled executor for subgraph operations.

The gateway writes every document a subgraph executes, so a subgraph sees a few
documents over and over. Each (schema, document, operation name) is compiled once into a
tree of field steps read from the graphql-core schema Strawberry built: plain fields read
their attribute, resolver fields call the resolver graphql-core would call, with the
same resolve info (or, for a resolver without arguments, the resolver function itself
with what Strawberry's wrapper would pass it), and awaitables are gathered as
graphql-core gathers them, so dataloaders batch as before. Answers, errors, paths and
locations are graphql-core's.

- plan.py: the compiled form; compiler.py: building it; cache.py: keeping it;
- runner.py: running it for a request;
- execute.py: graphql-core's `execute`, compiled where it can, and what falls back;
- switch.py: choosing the executor per call (GRAPHQL_COMPILED).
"""

from domains.kit.graphql.compiled.execute import COMPILED, CompiledExecutor
from domains.kit.graphql.compiled.switch import compiled_execution, compiled_execution_enabled

__all__ = ["COMPILED", "CompiledExecutor", "compiled_execution", "compiled_execution_enabled"]
