"""Health, the indicator registry and what the dataset is (demo or real, as of when)."""
