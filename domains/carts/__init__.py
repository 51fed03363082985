"""The carts domain: guest and customer carts, and checkout, the saga's first step."""
