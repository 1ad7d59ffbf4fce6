"""Department data (issue 17): nine sources keyed by ID number, their TOML mappings, tables and importer."""
