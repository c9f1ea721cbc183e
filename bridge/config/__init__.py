"""The bridge's local file, ``bridge.toml``: its model, the loader, and the checks of each table."""
