"""`mlopsc run` and `mlopsc status`: find a model's pipelines (`pipelines`), follow an execution
(`follow`), show it (`display`). Nothing is imported here: `mlopsc --help` must not pay for
compiling or AWS."""

#: The pipelines a model may have, in compile's order (compiler.model.ModelConfig.pipelines); kept
#: here, not imported from the model, so that the command line's options cost nothing to build.
PIPELINES = ("retrain", "deploy", "batch", "drift")
