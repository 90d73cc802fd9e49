"""The lifecycle pages, one module per audience."""
