"""The buckets behind the S3 storages of settings.STORAGES (STORAGE_BACKEND=s3), made ready by
`manage.py setup_storage` (docker's `migrate` runs it after the databases; idempotent).

- The public storage (`querystring_auth` off: avatars and portfolio images get plain URLs) gets a
  bucket policy letting anyone GET objects under the public prefixes only (`media.PUBLIC_PREFIXES`);
  object ACLs stay blocked (AWS's default for new buckets, and MinIO has none).
- A private storage (the KYC documents: signed URLs only) gets no policy and every public-access
  block on, so neither a policy nor an ACL can ever open it; an unsigned GET is refused.

Nothing here runs per request: it is provisioning, through boto3 like django-storages itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import boto3
import structlog
from botocore.exceptions import ClientError
from django.conf import settings

from conectar.platform.media import PUBLIC_PREFIXES

S3_BACKEND = "storages.backends.s3.S3Storage"
log = structlog.get_logger(__name__)

_EXISTS = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}
_UNSUPPORTED = {"NotImplemented", "XNotImplemented"}  # MinIO has no public-access block


@dataclass(frozen=True)
class BucketState:
    storage: str  # the alias in settings.STORAGES
    bucket: str
    public: bool
    created: bool


def s3_storages() -> dict[str, dict]:
    """alias -> OPTIONS of every S3 storage configured."""
    configured = settings.STORAGES.items()
    return {alias: config.get("OPTIONS", {}) for alias, config in configured if config["BACKEND"] == S3_BACKEND}


def client_for(options: dict):
    return boto3.client(
        "s3",
        endpoint_url=options.get("endpoint_url") or None,
        aws_access_key_id=options.get("access_key"),
        aws_secret_access_key=options.get("secret_key"),
        region_name=options.get("region_name") or None,
    )


def public_read_policy(bucket: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicImagesOnly",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": [f"arn:aws:s3:::{bucket}/{prefix}/*" for prefix in PUBLIC_PREFIXES],
            }
        ],
    }


def _create(client, bucket: str, region: str | None) -> bool:
    kwargs = {"Bucket": bucket}
    if region and region != "us-east-1":  # us-east-1 refuses its own name as a location constraint
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in _EXISTS:
            return False
        raise
    return True


def _public_access_block(client, bucket: str, *, allow_policy: bool) -> None:
    config = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": not allow_policy,
        "RestrictPublicBuckets": not allow_policy,
    }
    try:
        client.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=config)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in _UNSUPPORTED:
            raise
        log.info("storage.public_access_block_unsupported", bucket=bucket)


def ensure_buckets() -> list[BucketState]:
    """Create every missing bucket and set who may read it (see the module docstring)."""
    states = []
    for alias, options in s3_storages().items():
        client = client_for(options)
        bucket = options["bucket_name"]
        public = options.get("querystring_auth", True) is False
        created = _create(client, bucket, options.get("region_name"))
        _public_access_block(client, bucket, allow_policy=public)
        if public:
            client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read_policy(bucket)))
        else:
            try:
                client.delete_bucket_policy(Bucket=bucket)  # whatever opened it before is gone
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in {"NoSuchBucketPolicy", *_UNSUPPORTED}:
                    raise
        states.append(BucketState(storage=alias, bucket=bucket, public=public, created=created))
    return states
