"""Artifact store: files and bytes under a local directory or `s3://bucket/prefix` (boto3).

`open_store(root)` picks the backend. Both backends share one interface and one test
suite. S3 honours `AWS_ENDPOINT_URL` (moto, MinIO) through boto3's own configuration.
"""

from __future__ import annotations

import hashlib
import shutil
from abc import ABC, abstractmethod
from pathlib import Path

from slipway.core.keys import validate_key, validate_prefix
from slipway.errors import BadInput, ConfigError


class ArtifactStore(ABC):
    """put/get/list/exists for bytes and files, addressed by validated relative keys."""

    root: str

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> str: ...

    @abstractmethod
    def get_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]: ...

    def put_file(self, key: str, path: str | Path) -> str:
        path = Path(path)
        if not path.is_file():
            raise BadInput(f"cannot store {path}: no such file")
        return self.put_bytes(key, path.read_bytes())

    def get_file(self, key: str, dest: str | Path) -> Path:
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(self.get_bytes(key))
        return dest

    def put_text(self, key: str, text: str) -> str:
        return self.put_bytes(key, text.encode("utf-8"))

    def get_text(self, key: str) -> str:
        return self.get_bytes(key).decode("utf-8")

    @abstractmethod
    def uri(self, key: str) -> str:
        """A URI that names the stored object (file path or s3://...)."""


class LocalStore(ArtifactStore):
    def __init__(self, root: str | Path) -> None:
        self.base = Path(root).expanduser().resolve()
        self.root = str(self.base)

    def _path(self, key: str) -> Path:
        return self.base / validate_key(key)

    def put_bytes(self, key: str, data: bytes) -> str:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".partial")
        tmp.write_bytes(data)
        tmp.replace(path)
        return self.uri(key)

    def put_file(self, key: str, path: str | Path) -> str:
        src = Path(path)
        if not src.is_file():
            raise BadInput(f"cannot store {src}: no such file")
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        return self.uri(key)

    def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise BadInput(f"artifact {key!r} not found in {self.root}")
        return path.read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        if not self.base.is_dir():
            return []
        keys = []
        for path in self.base.rglob("*"):
            if path.is_file() and not path.name.endswith(".partial"):
                key = path.relative_to(self.base).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def uri(self, key: str) -> str:
        return str(self._path(key))


WRITE_PROBE = ".slipway-write-check"
"""The key a pre-flight check writes and deletes to prove the store takes writes."""


class S3Store(ArtifactStore):
    def __init__(self, root: str, client=None) -> None:
        if not root.startswith("s3://"):
            raise BadInput(f"{root!r} is not an s3:// URI")
        rest = root[len("s3://") :]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise BadInput(f"{root!r} names no bucket: use s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            validate_key(self.prefix)
        self.root = root.rstrip("/")
        self._client = client

    @property
    def client(self):
        if self._client is None:
            import boto3

            # a fresh session reads the environment now (the default session caches credentials)
            self._client = boto3.session.Session().client("s3")
        return self._client

    def _key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, what: str, fn, **kwargs):
        from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

        try:
            return fn(**kwargs)
        except NoCredentialsError:
            raise ConfigError(
                f"no AWS credentials for s3://{self.bucket}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
            ) from None
        except EndpointConnectionError as exc:
            raise ConfigError(
                f"cannot reach the S3 endpoint for s3://{self.bucket} ({exc}): check "
                "AWS_ENDPOINT_URL"
            ) from None
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchBucket",) or (code in ("404", "NotFound") and what == "bucket"):
                raise ConfigError(
                    f"S3 bucket {self.bucket!r} does not exist: create it or fix "
                    "SLIPWAY_ARTIFACT_ROOT"
                ) from None
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"):
                raise ConfigError(
                    f"S3 refused access to s3://{self.bucket} ({code}): check AWS_ACCESS_KEY_ID / "
                    "AWS_SECRET_ACCESS_KEY and the bucket policy"
                ) from None
            raise

    def put_bytes(self, key: str, data: bytes) -> str:
        self._call("put", self.client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data)
        return self.uri(key)

    def put_file(self, key: str, path: str | Path) -> str:
        src = Path(path)
        if not src.is_file():
            raise BadInput(f"cannot store {src}: no such file")
        self._call(
            "put",
            self.client.upload_file,
            Filename=str(src),
            Bucket=self.bucket,
            Key=self._key(key),
        )
        return self.uri(key)

    def get_bytes(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = self._call(
                "get", self.client.get_object, Bucket=self.bucket, Key=self._key(key)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise BadInput(f"artifact {key!r} not found in {self.root}") from None
            raise
        return response["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._call("head", self.client.head_object, Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                self.check_bucket()
                return False
            raise

    def check_bucket(self) -> None:
        """Raise ConfigError naming the bucket when it does not exist or is not reachable."""
        self._call("bucket", self.client.head_bucket, Bucket=self.bucket)

    def check_writable(self) -> None:
        """The bucket exists and takes a write: a probe object is put under the prefix, then
        deleted. Raises ConfigError naming the bucket and what to do."""
        from botocore.exceptions import ClientError

        self.check_bucket()
        key = self._key(WRITE_PROBE)
        try:
            self._call("put", self.client.put_object, Bucket=self.bucket, Key=key, Body=b"ok")
            self._call("delete", self.client.delete_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise ConfigError(
                f"S3 refused a write to {self.root} ({code}): allow s3:PutObject and "
                "s3:DeleteObject there or change SLIPWAY_ARTIFACT_ROOT"
            ) from None

    def list(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        paginator = self.client.get_paginator("list_objects_v2")
        keys: list[str] = []
        pages = self._call(
            "list", lambda **kw: list(paginator.paginate(**kw)), Bucket=self.bucket, Prefix=full
        )
        strip = len(self.prefix) + 1 if self.prefix else 0
        for page in pages:
            for obj in page.get("Contents", []):
                keys.append(obj["Key"][strip:])
        return sorted(keys)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"


def open_store(root: str | None = None) -> ArtifactStore:
    """The store at `root` (default: the settings' artifact root)."""
    if root is None:
        from slipway.settings import get_settings

        settings = get_settings()
        root = settings.resolved_artifact_root
        if not root.startswith("s3://"):
            settings.ensure_home()
    if root.startswith("s3://"):
        return S3Store(root)
    if "://" in root:
        raise BadInput(f"artifact root {root!r}: only local directories and s3:// are supported")
    return LocalStore(root)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
