"""Every SQL statement of the products domain but search's, one module per concept.

Listing search builds its SQL in domains/products/search/repository.py.
"""
