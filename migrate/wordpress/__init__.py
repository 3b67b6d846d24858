"""What WordPress showed: wpautop, shortcodes, blocks, embeds, and the renderer that runs them in order."""
