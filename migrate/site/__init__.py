"""The new site as files: the plan (what to write), applying it (or its diff), and the manifest."""
