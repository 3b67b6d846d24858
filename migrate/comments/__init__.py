"""Comments as data: the approved comments of each published post, threaded, in a JSON file beside it
that Zola loads with `load_data`; and all of them in a file that comment systems import."""
