"""What the bridge reads from the CRM: each telephony system's settings and the number index."""
