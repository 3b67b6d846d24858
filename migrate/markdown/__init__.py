"""HTML to CommonMark for Zola: one rule per element (html2md), and the portable, tidy document."""
