"""The demo app: a synthetic hospital and synthetic check-ins, for development only.

``hospital`` is what the commands and tests use; see its docstring.
"""
