"""The insights pages, one module per audience: ``team`` (dashboards), ``privacy`` (settings)."""
