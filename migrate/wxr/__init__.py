"""Reading WordPress exports: the WXR stream reader, PHP unserialize, the model, and the site index."""
