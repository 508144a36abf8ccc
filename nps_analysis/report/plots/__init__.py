"""Charts, one module per notebook family (matplotlib is imported inside the functions)."""
