"""Raw OCR text of newspaper pages in, an issue folder (issue.toml, articles, REVIEW.md) out: `import_text`."""

from .importer import import_text
from .log import Doubt
from .options import ImportOptions
from .report import ImportReport

__all__ = ["Doubt", "ImportOptions", "ImportReport", "import_text"]
