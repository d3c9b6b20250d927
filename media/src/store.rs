//! Where renditions are kept, through one abstraction (`object_store`): a directory on the local
//! disk by default, S3-compatible object storage when several instances share the photos.
//!
//! Keys are `<media id>/<width>.<ext>`: a rendition never changes once written (a new photo is a
//! new id), which is what lets the server answer with `Cache-Control: immutable`.

use std::{path::Path as FsPath, sync::Arc};

use bytes::Bytes;
use object_store::{
    ObjectStore, PutPayload, aws::AmazonS3Builder, local::LocalFileSystem, path::Path,
    prefix::PrefixStore,
};

use crate::Encoding;

/// Why the store could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("media storage URL {0:?} is not understood: use s3://bucket/prefix")]
    Url(String),
    #[error("media storage: {0}")]
    Backend(#[from] object_store::Error),
    #[error("media storage directory {0}: {1}")]
    Directory(String, std::io::Error),
    #[error("media storage: an object written was read back different")]
    Probe,
}

/// The renditions of every upload. Cheap to clone.
#[derive(Clone, Debug)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    /// What the operator configured, for logs (`disk:<dir>` or the `s3://` URL).
    pub location: String,
}

impl MediaStore {
    /// `url` unset: `<data_dir>/media` on the local disk (created). `s3://bucket/prefix`: the
    /// bucket through the usual `AWS_*` variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, `AWS_ENDPOINT` for an S3-compatible service, `AWS_ALLOW_HTTP` for one
    /// without TLS).
    pub fn open(url: Option<&str>, data_dir: &FsPath) -> Result<Self, StoreError> {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => {
                let dir = data_dir.join("media");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| StoreError::Directory(dir.display().to_string(), e))?;
                let store = LocalFileSystem::new_with_prefix(&dir)?;
                Ok(Self {
                    inner: Arc::new(store),
                    location: format!("disk:{}", dir.display()),
                })
            }
            Some(url) => {
                let rest = url
                    .strip_prefix("s3://")
                    .ok_or_else(|| StoreError::Url(url.to_owned()))?;
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(StoreError::Url(url.to_owned()));
                }
                let s3 = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .build()?;
                let prefix = prefix.trim_matches('/');
                let inner: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(PrefixStore::new(s3, prefix))
                };
                Ok(Self {
                    inner,
                    location: url.to_owned(),
                })
            }
        }
    }

    /// Writes, reads back and removes a small object: run at start-up, so a misnamed bucket,
    /// wrong credentials or a read-only store stop the server with the reason, instead of
    /// every upload failing later and every photo answering 404.
    pub async fn probe(&self) -> Result<(), StoreError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        // Unique per instance and start, so instances starting together do not meet.
        let key = Path::from(format!("_probe/{}-{nanos}", std::process::id()));
        let written = Bytes::from_static(b"dorfapp media store probe");
        self.inner
            .put(&key, PutPayload::from(written.clone()))
            .await?;
        let read = self.inner.get(&key).await?.bytes().await?;
        self.inner.delete(&key).await?;
        if read == written {
            Ok(())
        } else {
            Err(StoreError::Probe)
        }
    }

    fn key(id: &str, width: u32, encoding: Encoding) -> Path {
        Path::from(format!("{id}/{width}.{}", encoding.extension()))
    }

    /// Writes one rendition. Writing the same key again replaces it (a retried upload job).
    pub async fn put(
        &self,
        id: &str,
        width: u32,
        encoding: Encoding,
        bytes: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.inner
            .put(&Self::key(id, width, encoding), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// Reads one rendition; `None` when it is not there.
    pub async fn get(
        &self,
        id: &str,
        width: u32,
        encoding: Encoding,
    ) -> Result<Option<Bytes>, StoreError> {
        match self.inner.get(&Self::key(id, width, encoding)).await {
            Ok(found) => Ok(Some(found.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Removes every rendition of an upload; what is already gone is not an error, so a
    /// repeated purge finishes.
    pub async fn delete(&self, id: &str, widths: &[u32]) -> Result<(), StoreError> {
        for &width in widths {
            for encoding in [Encoding::WebP, Encoding::Jpeg] {
                match self.inner.delete(&Self::key(id, width, encoding)).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(other) => return Err(other.into()),
                }
            }
        }
        Ok(())
    }
}
