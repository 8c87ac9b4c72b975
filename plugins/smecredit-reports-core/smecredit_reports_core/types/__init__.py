"""The built-in report types, one module each."""
