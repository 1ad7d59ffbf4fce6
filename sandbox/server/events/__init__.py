"""Server-Sent Events: new check-ins, fund and project changes, alerts."""
