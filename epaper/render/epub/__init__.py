"""The EPUB stage: an issue in, the EPUB 3 package, its e-reader editions (kepub, Kindle, azw3) and the OPDS feed out."""
