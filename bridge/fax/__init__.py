"""The bridge's fax workers: one per ``[fax.servers.<key>]``, hosting ``services/fax`` (FAX-01..19)."""
