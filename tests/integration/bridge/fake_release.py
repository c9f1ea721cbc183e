"""A real, tiny ``commsuite`` wheel for the CALL-44 install tests: its ``commsuite`` console script answers
``--version`` and ``bridge check`` (with the exit status the test asks for), nothing else."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

_MODULE = """import sys


def main():
    args = sys.argv[1:]
    if args == ["--version"]:
        print("commsuite {version}")
        return 0
    if args[:2] == ["bridge", "check"]:
        print("all checks passed" if {check_status} == 0 else "bridge.toml: 1 problem")
        return {check_status}
    return 2
"""


def build_wheel(folder: Path, version: str, *, check_status: int = 0) -> Path:
    """``folder/commsuite-<version>-py3-none-any.whl``, installable by pip with ``--no-index``."""
    info = f"commsuite-{version}.dist-info"
    files = {
        "commsuite_fake.py": _MODULE.format(version=version, check_status=check_status),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: commsuite\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: commsuite-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": "[console_scripts]\ncommsuite = commsuite_fake:main\n",
    }
    record = [f"{name},sha256={_digest(text.encode())},{len(text.encode())}" for name, text in files.items()]
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = folder / f"commsuite-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
