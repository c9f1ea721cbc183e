"""The parts of ``customizations.xml``, one module per kind of element (X-01).

:mod:`dataverse_schema.customizations_xml` assembles the document from them:
:mod:`.entities` (tables, their settings and alternate keys), :mod:`.attributes`
(columns), :mod:`.option_sets` (local, boolean, state / status and global choices),
:mod:`.relationships`, and :mod:`.elements` (what they share).
"""
