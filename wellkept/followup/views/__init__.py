"""The followup pages, one module per audience."""
