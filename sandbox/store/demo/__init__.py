"""The built-in demo county: deterministic synthetic records on a real county outline."""
