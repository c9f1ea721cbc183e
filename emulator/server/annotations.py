"""``Prefer: odata.include-annotations``: which instance annotations a response carries.

Dataverse adds formatted values, lookups' ``lookuplogicalname`` and
``associatednavigationproperty``, and the total-record-count annotations only
when the preference asks for them (Learn, "Compose HTTP requests and handle
errors" and "Count rows"). The value is a comma list of annotation names,
each of which may end in ``*`` (``*`` alone means all; ``OData.Community.*``
a namespace); a name starting with ``-`` excludes (OData 4.01 Part 1 §8.2.8.4).
Control information (``@odata.*``) is never affected.
"""

from __future__ import annotations

from dataclasses import dataclass

FORMATTED_VALUE = "OData.Community.Display.V1.FormattedValue"
LOOKUP_LOGICAL_NAME = "Microsoft.Dynamics.CRM.lookuplogicalname"
NAVIGATION_PROPERTY = "Microsoft.Dynamics.CRM.associatednavigationproperty"
TOTAL_RECORD_COUNT = "Microsoft.Dynamics.CRM.totalrecordcount"
TOTAL_COUNT_EXCEEDED = "Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"


@dataclass(frozen=True)
class AnnotationFilter:
    """The annotation names a request included and excluded."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: str | None) -> AnnotationFilter:
        """Read the preference's value (already unquoted); None or empty asks for nothing."""
        names = [item.strip() for item in (value or "").split(",") if item.strip()]
        return cls(tuple(n for n in names if not n.startswith("-")), tuple(n[1:] for n in names if n.startswith("-")))

    def wants(self, term: str) -> bool:
        """True when the response should carry the annotation ``term``."""
        return any(_matches(p, term) for p in self.include) and not any(_matches(p, term) for p in self.exclude)

    @property
    def any(self) -> bool:
        return bool(self.include)

    def apply(self, value: object) -> object:
        """``value`` (a record, a list of them, or anything else) without the annotations not asked for."""
        if isinstance(value, list):
            return [self.apply(item) for item in value]
        if not isinstance(value, dict):
            return value
        kept = {}
        for key, item in value.items():
            at = key.find("@")
            term = key[at + 1 :] if at >= 0 else ""
            if at >= 0 and not term.startswith("odata.") and not self.wants(term):
                continue
            kept[key] = self.apply(item)
        return kept


def _matches(pattern: str, term: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return term.lower().startswith(pattern[:-1].lower())
    return term.lower() == pattern.lower()
