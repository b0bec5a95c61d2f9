"""The web stage: an issue and its print PDF in, the static web e-paper (pages, search, versions, archive) out."""
