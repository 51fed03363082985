"""Product listings: search, filters, sorts, facets and their cache.

criteria.py says what a listing asks for, repository.py builds and runs its SQL, and
service.py validates a client's filter and serves listing pages through the listing cache.
"""
