"""Stage I/O: local paths, file:// URIs and s3:// URIs, per the mlopsc stage contract."""
import functools
import json
import os
from pathlib import Path
from urllib.parse import urlparse


@functools.cache  # one client per process: the handler's captures and the drift job reuse it
def _s3():
    import boto3  # lazily: local runs and unit tests need no AWS SDK

    return boto3.client("s3")


def _local(uri):
    u = urlparse(uri)
    return Path(u.path if u.scheme == "file" else uri)


def join(base, name):
    return base.rstrip("/") + "/" + name


def list_uris(prefix, suffix=""):
    """Every object/file under `prefix` whose name ends with `suffix`, sorted."""
    u = urlparse(prefix)
    if u.scheme == "s3":
        pages = _s3().get_paginator("list_objects_v2").paginate(
            Bucket=u.netloc, Prefix=u.path.lstrip("/"))
        keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
        return sorted(f"s3://{u.netloc}/{k}" for k in keys if k.endswith(suffix))
    root = _local(prefix)
    if root.is_file():
        return [str(root)]
    return sorted(str(p) for p in root.rglob(f"*{suffix}") if p.is_file())


def read_bytes(uri):
    u = urlparse(uri)
    if u.scheme == "s3":
        return _s3().get_object(Bucket=u.netloc, Key=u.path.lstrip("/"))["Body"].read()
    return _local(uri).read_bytes()


def write_bytes(uri, data):
    u = urlparse(uri)
    if u.scheme == "s3":
        _s3().put_object(Bucket=u.netloc, Key=u.path.lstrip("/"), Body=data)
        return
    path = _local(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def stage_env():
    """(input URI, output URI, hyper-parameters) from the MLOPS_* variables."""
    params = json.loads(os.environ.get("MLOPS_PARAMS") or "{}")
    return os.environ["MLOPS_INPUT_URI"], os.environ["MLOPS_OUTPUT_URI"], params
