"""The Zola side: slugs, URLs and files of pages, front matter, sections, the scaffold, redirects."""
