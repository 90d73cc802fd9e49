"""The assessments pages, one module per audience."""
