"""Click-to-call (CALL-16): the intake of dial requests from the CRM, the dialling, and the rows it writes."""
