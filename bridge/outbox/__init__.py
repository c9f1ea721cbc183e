"""The durable outbox (DESIGN principle 1): the SQLite store and its writer thread, and the drainers that
send what it holds to Dataverse."""
