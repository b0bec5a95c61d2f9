"""The print stage: laid-out pages in, the print PDF (page by page, assembled, tagged) and the press PDFs out."""
