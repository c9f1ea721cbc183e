"""The application layer: host-agnostic services built from one settings model by one factory (docs/architecture.md)."""
