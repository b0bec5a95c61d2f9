"""epaper: a newspaper issue folder in; a print PDF, an EPUB 3 and a web e-paper out."""

__version__ = "0.1.0"
