"""The pure core: no I/O, no clock, no third-party libraries (enforced by import-linter)."""
