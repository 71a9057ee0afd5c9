"""One package per statutory procedure; each registers with the runtime at start (DESIGN.md layout)."""
