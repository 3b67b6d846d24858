"""Media: every file the site's pages reference — found, resolved to its attachment, placed, fetched.

The only code that touches the network is `fetch`.
"""
