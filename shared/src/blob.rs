//! The blob store: uploaded workbooks (keyed by their SHA-256, so the same bytes are stored
//! once) and raw samples, in a local folder (embedded) or an S3 bucket (any S3-compatible
//! server: endpoint, region and path-style addressing are settings).

use std::path::{Path, PathBuf};

use aws_sdk_s3::config::{Credentials, Region, RequestChecksumCalculation};
use aws_sdk_s3::primitives::ByteStream;

use crate::settings::{BlobTarget, Settings};

/// A blob store error.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// A local file operation failed.
    #[error("blob store: {0}")]
    Io(#[from] std::io::Error),
    /// The S3 server refused or could not be reached.
    #[error("blob store (S3): {0}")]
    S3(String),
    /// No blob under the key.
    #[error("blob store: no blob {0}")]
    NotFound(String),
    /// A key with characters outside `[A-Za-z0-9/._-]` or a `..` segment.
    #[error("blob store: invalid key {0}")]
    InvalidKey(String),
}

/// Where blobs go.
#[derive(Clone, Debug)]
pub enum BlobStore {
    /// A folder.
    Local(PathBuf),
    /// A bucket.
    S3 {
        /// The client.
        client: aws_sdk_s3::Client,
        /// The bucket.
        bucket: String,
    },
}

fn check_key(key: &str) -> Result<(), BlobError> {
    let ok = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
        && key.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..");
    if ok { Ok(()) } else { Err(BlobError::InvalidKey(key.to_owned())) }
}

fn s3_error<E: std::error::Error>(e: E) -> BlobError {
    // The SDK's Display is terse ("service error"); the source chain says what happened.
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    BlobError::S3(text)
}

impl BlobStore {
    /// The store the settings name (the local folder is created when missing).
    pub async fn from_settings(settings: &Settings) -> Result<BlobStore, BlobError> {
        match settings.blobs() {
            BlobTarget::Local(dir) => {
                tokio::fs::create_dir_all(&dir).await?;
                Ok(BlobStore::Local(dir))
            }
            BlobTarget::S3 => Ok(BlobStore::s3(
                &settings.s3_endpoint,
                &settings.s3_region,
                &settings.s3_bucket,
                &settings.s3_access_key_id,
                &settings.s3_secret_access_key,
                settings.s3_path_style,
            )),
        }
    }

    /// An S3 store; no environment or `~/.aws` lookups: everything comes from the arguments.
    pub fn s3(endpoint: &str, region: &str, bucket: &str, key_id: &str, secret: &str, path_style: bool) -> BlobStore {
        let mut config = aws_sdk_s3::config::Builder::new()
            .behavior_version_latest()
            .region(Region::new(region.to_owned()))
            .credentials_provider(Credentials::new(key_id, secret, None, None, "montecell-settings"))
            .force_path_style(path_style)
            // Newer SDKs add CRC32 checksums by default; some S3-compatible servers reject them.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired);
        if !endpoint.is_empty() {
            config = config.endpoint_url(endpoint);
        }
        BlobStore::S3 { client: aws_sdk_s3::Client::from_conf(config.build()), bucket: bucket.to_owned() }
    }

    /// Creates the bucket when missing (S3), or the folder (local).
    pub async fn ensure(&self) -> Result<(), BlobError> {
        match self {
            BlobStore::Local(dir) => Ok(tokio::fs::create_dir_all(dir).await?),
            BlobStore::S3 { client, bucket } => {
                if client.head_bucket().bucket(bucket).send().await.is_ok() {
                    return Ok(());
                }
                client.create_bucket().bucket(bucket).send().await.map_err(s3_error)?;
                Ok(())
            }
        }
    }

    /// Reachable (and the bucket exists)?
    pub async fn ping(&self) -> Result<(), BlobError> {
        match self {
            BlobStore::Local(dir) => {
                tokio::fs::metadata(dir).await?;
                Ok(())
            }
            BlobStore::S3 { client, bucket } => {
                client.head_bucket().bucket(bucket).send().await.map_err(s3_error)?;
                Ok(())
            }
        }
    }

    fn local_path(dir: &Path, key: &str) -> Result<PathBuf, BlobError> {
        check_key(key)?;
        Ok(dir.join(key))
    }

    /// A temporary name beside the blob's path, and the path (its folder created): blobs are
    /// written to the temporary name and renamed, so a reader never sees half a blob.
    async fn local_target(dir: &Path, key: &str) -> Result<(PathBuf, PathBuf), BlobError> {
        let path = Self::local_path(dir, key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
        Ok((tmp, path))
    }

    /// Is there a blob under `key`?
    pub async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        match self {
            BlobStore::Local(dir) => Ok(tokio::fs::try_exists(Self::local_path(dir, key)?).await?),
            BlobStore::S3 { client, bucket } => {
                check_key(key)?;
                match client.head_object().bucket(bucket).key(key).send().await {
                    Ok(_) => Ok(true),
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
                    Err(e) => Err(s3_error(e)),
                }
            }
        }
    }

    /// Stores a file's bytes under `key` (replacing any blob there; keys are content hashes or
    /// per-simulation, so a replacement writes the same bytes).
    pub async fn put_file(&self, key: &str, file: &Path) -> Result<(), BlobError> {
        match self {
            BlobStore::Local(dir) => {
                let (tmp, path) = Self::local_target(dir, key).await?;
                tokio::fs::copy(file, &tmp).await?;
                Ok(tokio::fs::rename(&tmp, &path).await?)
            }
            BlobStore::S3 { client, bucket } => {
                check_key(key)?;
                let body = ByteStream::from_path(file).await.map_err(s3_error)?;
                client.put_object().bucket(bucket).key(key).body(body).send().await.map_err(s3_error)?;
                Ok(())
            }
        }
    }

    /// Stores bytes under `key`.
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        match self {
            BlobStore::Local(dir) => {
                let (tmp, path) = Self::local_target(dir, key).await?;
                tokio::fs::write(&tmp, bytes).await?;
                Ok(tokio::fs::rename(&tmp, &path).await?)
            }
            BlobStore::S3 { client, bucket } => {
                check_key(key)?;
                client
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .body(ByteStream::from(bytes))
                    .send()
                    .await
                    .map_err(s3_error)?;
                Ok(())
            }
        }
    }

    /// The bytes under `key`.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        match self {
            BlobStore::Local(dir) => match tokio::fs::read(Self::local_path(dir, key)?).await {
                Ok(b) => Ok(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BlobError::NotFound(key.to_owned())),
                Err(e) => Err(e.into()),
            },
            BlobStore::S3 { client, bucket } => {
                check_key(key)?;
                let out = match client.get_object().bucket(bucket).key(key).send().await {
                    Ok(o) => o,
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                        return Err(BlobError::NotFound(key.to_owned()));
                    }
                    Err(e) => return Err(s3_error(e)),
                };
                let data = out.body.collect().await.map_err(s3_error)?;
                Ok(data.into_bytes().to_vec())
            }
        }
    }

    /// What kind of store, for logs and readiness.
    pub fn describe(&self) -> String {
        match self {
            BlobStore::Local(dir) => format!("local folder {}", dir.display()),
            BlobStore::S3 { bucket, .. } => format!("S3 bucket {bucket}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(check_key("models/ab12.xlsx").is_ok());
        assert!(check_key("samples/0190-aa/npv.f64").is_ok());
        for bad in ["", "../etc/passwd", "a//b", "a/./b", "a b", "/abs"] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn local_store_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = BlobStore::Local(dir.path().join("blobs"));
        store.ensure().await.expect("ensure");
        assert!(!store.exists("models/x.xlsx").await.expect("exists"));
        store.put_bytes("models/x.xlsx", b"hello".to_vec()).await.expect("put");
        assert!(store.exists("models/x.xlsx").await.expect("exists"));
        assert_eq!(store.get("models/x.xlsx").await.expect("get"), b"hello");
        assert!(matches!(store.get("models/y.xlsx").await, Err(BlobError::NotFound(_))));
    }
}
