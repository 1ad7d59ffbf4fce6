"""Allows `python -m sandbox ...` as well as the `sandbox` console script."""

from sandbox.cli import main

raise SystemExit(main())
