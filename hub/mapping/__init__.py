"""The mapping language: source fields -> canonical fields (see mappings/README.md)."""
