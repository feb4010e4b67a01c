"""UTF-8 text and Markdown reports, taken as they are.

The file's characters are the extracted text, so offsets into it are offsets into the
file (after decoding): nothing is normalised, not even line endings. A leading byte-order
mark is dropped, being an encoding mark rather than text. Left out: other encodings (a
report in Latin-1 is refused with the offset of its first non-UTF-8 byte), page maps.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SourceError
from . import Extracted, year_in


def extract(path: Path) -> Extracted:
    """The text of a UTF-8 `.txt` or `.md` file, its first `#` heading as the title."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        raise SourceError(
            f"{path} is not UTF-8 text: invalid byte 0x{byte:02x} at offset {exc.start}"
        ) from exc
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise SourceError(f"{path} is empty: it holds no text")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "")
    fmt = "markdown" if path.suffix.lower() == ".md" else "text"
    return Extracted(text, (), title.replace("**", ""), "", year_in(title), fmt)
