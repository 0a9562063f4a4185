"""Where a retrain's `triggers.new_data` watches, as one S3 URI, whichever way it is written: the
checks (rule retrain-trigger-loop) and the model read it through this one function.

`prefix` is a key prefix in the data source's bucket (`churn/landing/`), as S3 means "prefix"
(Amazon S3 user guide, "Organizing objects using prefixes") and EventBridge's `prefix` filter on
`object.key` matches it (EventBridge user guide, "Prefix matching"), or a full `s3://` URI (any
bucket: that bucket's owner turns on its EventBridge notifications); without `prefix`, the data
source itself.
"""

from __future__ import annotations

S3 = "s3://"


def bucket_of(uri: str) -> str:
    return uri.removeprefix(S3).partition("/")[0]


def new_data_uri(retrain: dict) -> str:
    """The S3 URI the new_data trigger of `retrain` (the config's pipelines.retrain) watches."""
    source = retrain["data"]["source"]
    prefix = ((retrain.get("triggers") or {}).get("new_data") or {}).get("prefix")
    if not prefix:
        return source
    if prefix.startswith(S3):
        return prefix
    return f"{S3}{bucket_of(source)}/{prefix}"
