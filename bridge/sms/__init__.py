"""The SMS services hosted by the on-prem daemon on sites without Azure: scheduler, webhook endpoint, wiring."""
