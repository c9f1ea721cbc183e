"""Mappers between domain values and the suite's own Dataverse rows (the CRM side of the domain)."""
