"""Pure domain knowledge: region codes, enums, indicators, masking. No I/O."""
