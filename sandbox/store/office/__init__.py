"""The back office's records: staff accounts, the access log, console import jobs (issue 21).

Importing this package puts its tables on `Base.metadata` (sandbox.store.models imports it)."""

from sandbox.store.office import tables  # noqa: F401
