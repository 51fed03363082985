"""The products domain: catalog, variants, stock, images, reviews and listing search."""
