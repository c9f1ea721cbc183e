"""Fax server connectors (FAX-02): HylaFAX (Elastix / Issabel), Windows Fax Server, MyFax; one interface in ``base``."""
