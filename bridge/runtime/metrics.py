"""Prometheus text exposition (format 0.0.4) for the bridge's ``/metrics`` (CALL-14, CALL-26).

A :class:`Metric` is a name, a type, a help line and samples (labels → value);
:func:`render` writes them with ``# HELP`` / ``# TYPE`` lines, escaped label
values and escaped help text, as the format specifies.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


@dataclass
class Metric:
    name: str
    kind: Literal["counter", "gauge"]
    help: str
    samples: list[tuple[Mapping[str, str], float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"not a metric name: {self.name!r}")

    def add(self, value: float, **labels: str) -> Metric:
        for label in labels:
            if not _LABEL.match(label) or label.startswith("__"):
                raise ValueError(f"not a label name: {label!r}")
        self.samples.append((labels, value))
        return self


def escape_label(value: str) -> str:
    """Backslash, double quote and line feed escaped, as label values need."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def render(metrics: Iterable[Metric]) -> str:
    """The exposition text, one block per metric, ending with a newline."""
    lines: list[str] = []
    for metric in metrics:
        lines.append(f"# HELP {metric.name} {_escape_help(metric.help)}")
        lines.append(f"# TYPE {metric.name} {metric.kind}")
        for labels, value in metric.samples:
            if labels:
                rendered = ",".join(f'{key}="{escape_label(str(val))}"' for key, val in labels.items())
                lines.append(f"{metric.name}{{{rendered}}} {_number(value)}")
            else:
                lines.append(f"{metric.name} {_number(value)}")
    return "\n".join(lines) + "\n"
