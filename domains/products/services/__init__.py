"""Business rules of the products domain, one module per concept.

Every method takes the session first and never commits: the caller's unit of work does,
so a rule that fails half-way leaves nothing written. Methods record the cache keys their
writes make stale (`mark_stale`); the caller deletes them once the commit succeeded.
Listing search has its own package, domains/products/search/.
"""
