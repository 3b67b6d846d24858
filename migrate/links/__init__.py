"""Links and media URLs of the old site: one resolver for every URL, one rewrite pass over each page."""
