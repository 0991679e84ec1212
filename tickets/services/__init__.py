"""Writes of the tickets domain, one module per subdomain; import from the submodules."""
