"""The consent pages, one module per audience."""
