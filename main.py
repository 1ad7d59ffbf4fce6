"""`python main.py`: the wall display on the embedded demo county (see `--help` for options)."""

from sandbox.app import main

if __name__ == "__main__":
    raise SystemExit(main())
