"""mlopsc: compiles a model repository's mlops.yaml into AWS Step Functions pipelines."""

__version__ = "0.1.0"
