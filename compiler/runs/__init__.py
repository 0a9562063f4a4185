"""`mlopsc run` and `mlopsc status`: find a model's pipelines (`pipelines`), follow an execution
(`follow`), show it (`display`). Nothing is imported here: `mlopsc --help` must not pay for
compiling or AWS."""
