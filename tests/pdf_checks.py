"""Checks every kind of PDF passes: archival (PDF/A), tagged for screen readers, in Vietnamese.

Read back with pikepdf (the catalog, the structure tree, the XMP metadata) and poppler's `pdfinfo`
(what a person's tools report), so a test says what a reader or an archive would see.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pikepdf

XMP_PDFAID = "http://www.aiim.org/pdfa/ns/id/"


def assert_archival_and_tagged(data: bytes, *, part: str = "3", conformance: str = "A") -> None:
    """The PDF claims PDF/A-`part``conformance` in its XMP metadata, has an sRGB output intent,
    a structure tree marked as tagged, the language "vi", and pdfinfo says "Tagged: yes"."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = pdf.open_metadata()
        assert meta.get(f"{{{XMP_PDFAID}}}part") == part, "no PDF/A part in the XMP metadata"
        assert meta.get(f"{{{XMP_PDFAID}}}conformance") == conformance
        assert meta.pdfa_status == f"{part}{conformance}"
        root = pdf.Root
        assert "/StructTreeRoot" in root, "no structure tree (untagged)"
        assert root.MarkInfo.Marked is True
        assert str(root.Lang) == "vi"
        intents = root.get("/OutputIntents")
        assert intents and str(intents[0].S) == "/GTS_PDFA1", "no PDF/A output intent"
        assert "sRGB" in str(intents[0].get("/OutputConditionIdentifier", ""))
        tree = root.StructTreeRoot
        document = tree.K[0] if isinstance(tree.K, pikepdf.Array) else tree.K
        assert str(document.S) == "/Document" and len(document.K) > 0
        # Every font embedded (a PDF/A requirement): a FontFile2 (TrueType) under each descendant.
        for page in pdf.pages:
            for font in (page.Resources.get("/Font") or {}).values():
                descendants = font.get("/DescendantFonts")
                descriptor = (descendants[0] if descendants else font).FontDescriptor
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font.BaseFont
    if shutil.which("pdfinfo"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "doc.pdf"
            path.write_bytes(data)
            info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
        assert re.search(r"^Tagged:\s+yes$", info, re.M), info


def structure_roles(data: bytes) -> set[str]:
    """The structure types used in the tag tree (/H1, /P, /Table …)."""
    roles: set[str] = set()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        stack = [pdf.Root.StructTreeRoot.K]
        seen = 0
        while stack and seen < 200_000:
            node = stack.pop()
            seen += 1
            if isinstance(node, pikepdf.Array):
                stack.extend(node)
            elif isinstance(node, pikepdf.Dictionary):
                if "/S" in node:
                    roles.add(str(node.S))
                if "/K" in node:
                    stack.append(node.K)
    return roles
