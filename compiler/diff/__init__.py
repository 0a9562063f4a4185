"""`mlopsc diff BASE HEAD`: what a config change does to every compiled pipeline, as a semantic diff.

One way through: `sides` (an OUT directory, or a git revision compiled in memory) -> `semantic`
(two sides' parsed files -> typed `Change` records; ASL in `asl`, other files in `fields`) ->
`risks` (which changes a reviewer must look at) -> `render` (text, markdown, json). `compare` is
the library call the command (`cli`) wraps. Nothing is imported here: `mlopsc --help` stays fast.
"""
