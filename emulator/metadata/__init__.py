"""Web API metadata JSON (EntityMetadata, AttributeMetadata, ...) read into ``dataverse_schema.model``.

What ``schema apply`` sends
(MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/webapi/create-update-entity-definitions-using-web-api.md)
becomes a :class:`~dataverse_schema.model.Table` (:mod:`emulator.metadata.tables`, with alternate keys),
a :class:`~dataverse_schema.model.Column` or :class:`~dataverse_schema.model.OptionSet`
(:mod:`emulator.metadata.columns`) or a relationship (:mod:`emulator.metadata.relationships`), so a
table created over HTTP is an ordinary record table in the store. The fields all of them read
(names, labels, flags, numbers) are :mod:`emulator.metadata.fields`. Anything malformed is an
:class:`~emulator.errors.ODataError` 400 naming the field. :mod:`emulator.server.metadata_render`
writes the read shapes back.
"""

from __future__ import annotations

from emulator.errors import ODataError

INVALID_METADATA = "0x80040203"


def invalid(message: str) -> ODataError:
    return ODataError(400, INVALID_METADATA, message)
