"""Why a document could not be made fax-ready. ``str()`` of each is written on the fax record as is.

None of them is worth retrying with the same file and the same host: the user
attaches another file (unsupported, corrupt, too large, mislabelled) or an
administrator installs the converter the message names, then the fax is set
back to *Pending*.
"""

from __future__ import annotations


class DocumentError(Exception):
    """A document that cannot be made fax-ready; the message is for the person who attached it."""


class UnsupportedDocumentError(DocumentError):
    """No converter here takes this kind of file, or its name and content disagree."""


class CorruptDocumentError(DocumentError):
    """The file is of a kind we convert, but it cannot be read (truncated, damaged, not what it says)."""


class DocumentTooLargeError(DocumentError):
    """Over a size, pixel or page limit (a decompression bomb lands here, before it is decoded)."""


class ConverterMissingError(DocumentError):
    """The converter for this kind is not installed on this host; ``package`` is the Debian package to install."""

    def __init__(self, message: str, *, package: str):
        super().__init__(message)
        self.package = package


class ConversionTimeoutError(DocumentError):
    """The converter ran longer than its time limit and was killed (with every process it started)."""


class ConversionFailedError(DocumentError):
    """The converter ran and failed; its own words are kept (shortened)."""
