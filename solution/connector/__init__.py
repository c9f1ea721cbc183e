"""The Power Automate custom connector (X-02): an OpenAPI 2.0 definition and its ``apiProperties.json``.

Generated from ``dataverse_schema`` so it cannot drift from the tables it writes: every operation is a
Dataverse Web API request on the environment itself (a flow asks for an SMS, a fax or a call by creating
the row the cloud or the bridge already picks up), and every field name, label, length and choice value
comes from the schema model. ``package.py`` writes the connector folder; docs/power-automate.md explains it.
"""
