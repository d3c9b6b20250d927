//! Where renditions are kept ([`MediaStore`]): what was written is read back byte for byte, a
//! missing rendition is `None` and not an error, a purge removes every rendition of the widths
//! it names and can be repeated, uploads and stores do not see each other's files, and a URL
//! that is not `s3://bucket[/prefix]` is refused.
//!
//! Every test runs on the local disk (a fresh directory under the system's temp dir) and, when
//! `DORFAPP_TEST_S3_URL` is set (`s3://dorfapp-ci/media`; CI sets it against a moto server with
//! the usual `AWS_*` variables), on that bucket as well. Ids carry a token unique to the run, so
//! runs against one bucket never meet each other's objects.

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicU32, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use media::{
    Encoding, SIZES,
    store::{MediaStore, StoreError},
};

const S3_VAR: &str = "DORFAPP_TEST_S3_URL";
const ENCODINGS: [Encoding; 2] = [Encoding::WebP, Encoding::Jpeg];

/// A name no other test, process or earlier run has used.
fn unique(what: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    format!(
        "{what}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A directory under the temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(unique("dorfapp-media-store"));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One place a test runs against; `_dir` keeps a local store's directory alive.
struct Backend {
    name: &'static str,
    store: MediaStore,
    /// The local store's data dir (`None` on S3), to look at the files themselves.
    data_dir: Option<PathBuf>,
    _dir: Option<TempDir>,
}

fn local() -> Backend {
    let dir = TempDir::new();
    let store = MediaStore::open(None, &dir.0).expect("open the local store");
    Backend {
        name: "disk",
        store,
        data_dir: Some(dir.0.clone()),
        _dir: Some(dir),
    }
}

/// The bucket from `DORFAPP_TEST_S3_URL`, below `sub` when given; `None` (and a note) when unset.
fn s3(test: &str, sub: Option<&str>) -> Option<Backend> {
    let Some(url) = std::env::var(S3_VAR).ok().filter(|u| !u.trim().is_empty()) else {
        eprintln!("{test}: S3 part skipped ({S3_VAR} is unset); ran on the local disk only");
        return None;
    };
    let url = match sub {
        Some(sub) => format!("{}/{sub}", url.trim().trim_end_matches('/')),
        None => url,
    };
    // Never used for S3, but `open` takes one.
    let store = MediaStore::open(Some(&url), &std::env::temp_dir())
        .unwrap_or_else(|e| panic!("{S3_VAR}={url} does not open: {e}"));
    Some(Backend {
        name: "s3",
        store,
        data_dir: None,
        _dir: None,
    })
}

/// The local disk, and the bucket when `DORFAPP_TEST_S3_URL` is set.
fn backends(test: &str) -> Vec<Backend> {
    let mut all = vec![local()];
    all.extend(s3(test, None));
    all
}

/// Distinct content for each rendition, so a mix-up of keys cannot pass.
fn content(id: &str, width: u32, encoding: Encoding, len: usize) -> Vec<u8> {
    let seed = format!("{id}/{width}.{}", encoding.extension());
    seed.bytes()
        .cycle()
        .zip(0..len)
        .map(|(b, i)| b ^ (i % 251) as u8)
        .collect()
}

async fn put_all(store: &MediaStore, id: &str, len: usize) {
    for width in SIZES {
        for encoding in ENCODINGS {
            store
                .put(id, width, encoding, content(id, width, encoding, len))
                .await
                .unwrap_or_else(|e| panic!("put {id}/{width}.{}: {e}", encoding.extension()));
        }
    }
}

async fn get(b: &Backend, id: &str, width: u32, encoding: Encoding) -> Option<Vec<u8>> {
    b.store
        .get(id, width, encoding)
        .await
        .unwrap_or_else(|e| panic!("{}: get {id}/{width}: {e}", b.name))
        .map(|bytes| bytes.to_vec())
}

#[tokio::test]
async fn what_is_put_is_got_back_byte_for_byte() {
    for b in backends("what_is_put_is_got_back_byte_for_byte") {
        let id = unique("put-get");
        // 200 KB: about an 800 px rendition.
        put_all(&b.store, &id, 200_000).await;
        for width in SIZES {
            for encoding in ENCODINGS {
                let got = get(&b, &id, width, encoding).await;
                assert_eq!(
                    got.as_deref(),
                    Some(content(&id, width, encoding, 200_000).as_slice()),
                    "{}: {id}/{width}.{}",
                    b.name,
                    encoding.extension()
                );
            }
        }

        // A retried upload job writes the same key again: the new bytes win.
        let again = b"the retried rendition".to_vec();
        b.store
            .put(&id, 320, Encoding::WebP, again.clone())
            .await
            .unwrap();
        assert_eq!(
            get(&b, &id, 320, Encoding::WebP).await,
            Some(again),
            "{}",
            b.name
        );

        // An empty rendition is still a rendition, not a missing one.
        b.store
            .put(&id, 1, Encoding::Jpeg, Vec::new())
            .await
            .unwrap();
        assert_eq!(
            get(&b, &id, 1, Encoding::Jpeg).await,
            Some(Vec::new()),
            "{}",
            b.name
        );

        b.store.delete(&id, &[1, 320, 800, 1600]).await.unwrap();
    }
}

#[tokio::test]
async fn a_missing_rendition_is_none_not_an_error() {
    for b in backends("a_missing_rendition_is_none_not_an_error") {
        let id = unique("missing");
        assert_eq!(get(&b, &id, 320, Encoding::WebP).await, None, "{}", b.name);

        // The upload exists, but not at this width or in this encoding.
        b.store
            .put(&id, 320, Encoding::WebP, b"webp".to_vec())
            .await
            .unwrap();
        assert_eq!(get(&b, &id, 320, Encoding::Jpeg).await, None, "{}", b.name);
        assert_eq!(get(&b, &id, 800, Encoding::WebP).await, None, "{}", b.name);
        assert_eq!(get(&b, &id, 32, Encoding::WebP).await, None, "{}", b.name);

        b.store.delete(&id, &[320]).await.unwrap();
    }
}

#[tokio::test]
async fn delete_removes_every_rendition_of_the_named_widths_and_can_be_repeated() {
    for b in backends("delete_removes_every_rendition_of_the_named_widths_and_can_be_repeated") {
        let id = unique("delete");
        put_all(&b.store, &id, 1_000).await;

        // Only the widths named go: both encodings of each.
        b.store.delete(&id, &[320, 800]).await.unwrap();
        for encoding in ENCODINGS {
            assert_eq!(get(&b, &id, 320, encoding).await, None, "{}", b.name);
            assert_eq!(get(&b, &id, 800, encoding).await, None, "{}", b.name);
            assert_eq!(
                get(&b, &id, 1600, encoding).await,
                Some(content(&id, 1600, encoding, 1_000)),
                "{}: 1600 was not named",
                b.name
            );
        }

        // The whole purge, then once more (a retried purge job), and a purge of nothing.
        b.store.delete(&id, &SIZES).await.unwrap();
        for width in SIZES {
            for encoding in ENCODINGS {
                assert_eq!(get(&b, &id, width, encoding).await, None, "{}", b.name);
            }
        }
        b.store
            .delete(&id, &SIZES)
            .await
            .unwrap_or_else(|e| panic!("{}: second delete: {e}", b.name));
        b.store
            .delete(&unique("never-written"), &SIZES)
            .await
            .unwrap_or_else(|e| panic!("{}: delete of nothing: {e}", b.name));
        b.store.delete(&id, &[]).await.unwrap();

        if let Some(data_dir) = &b.data_dir {
            // On disk nothing of the upload's files is left.
            let left = data_dir.join("media").join(&id);
            let files = std::fs::read_dir(&left)
                .map(|d| d.count())
                .unwrap_or_default();
            assert_eq!(files, 0, "files left in {}", left.display());
        }
    }
}

#[tokio::test]
async fn two_uploads_do_not_see_each_others_files() {
    for b in backends("two_uploads_do_not_see_each_others_files") {
        // One id a prefix of the other: keys are `<id>/…`, so `abc` never reaches `abc1`.
        let a = unique("ids");
        let a1 = format!("{a}1");
        put_all(&b.store, &a, 500).await;
        b.store
            .put(
                &a1,
                800,
                Encoding::Jpeg,
                content(&a1, 800, Encoding::Jpeg, 500),
            )
            .await
            .unwrap();

        assert_eq!(
            get(&b, &a, 800, Encoding::Jpeg).await,
            Some(content(&a, 800, Encoding::Jpeg, 500)),
            "{}",
            b.name
        );
        assert_eq!(
            get(&b, &a1, 800, Encoding::Jpeg).await,
            Some(content(&a1, 800, Encoding::Jpeg, 500)),
            "{}",
            b.name
        );
        assert_eq!(get(&b, &a1, 320, Encoding::WebP).await, None, "{}", b.name);

        // Purging one leaves the other whole.
        b.store.delete(&a, &SIZES).await.unwrap();
        assert_eq!(get(&b, &a, 800, Encoding::Jpeg).await, None, "{}", b.name);
        assert_eq!(
            get(&b, &a1, 800, Encoding::Jpeg).await,
            Some(content(&a1, 800, Encoding::Jpeg, 500)),
            "{}: {a1} went with {a}",
            b.name
        );
        b.store.delete(&a1, &SIZES).await.unwrap();
    }
}

#[tokio::test]
async fn stores_with_different_places_are_separate() {
    // Two data dirs; two prefixes of one bucket.
    let mut pairs = vec![(local(), local())];
    let prefix = unique("prefix");
    let test = "stores_with_different_places_are_separate";
    if let (Some(one), Some(two)) = (
        s3(test, Some(&format!("{prefix}-one"))),
        s3(test, Some(&format!("{prefix}-two"))),
    ) {
        pairs.push((one, two));
    }
    for (one, two) in pairs {
        let id = unique("places");
        one.store
            .put(&id, 320, Encoding::WebP, b"one".to_vec())
            .await
            .unwrap();
        assert_eq!(
            get(&two, &id, 320, Encoding::WebP).await,
            None,
            "{}",
            two.name
        );
        assert_eq!(
            get(&one, &id, 320, Encoding::WebP).await,
            Some(b"one".to_vec()),
            "{}",
            one.name
        );
        one.store.delete(&id, &[320]).await.unwrap();
    }
}

#[tokio::test]
async fn the_local_store_lives_in_data_dir_media_under_the_documented_keys() {
    let dir = TempDir::new();
    // An empty or blank URL is no URL: the local disk.
    for url in [None, Some(""), Some("  ")] {
        let store = MediaStore::open(url, &dir.0).expect("open");
        assert_eq!(
            store.location,
            format!("disk:{}", dir.0.join("media").display())
        );
    }
    let store = MediaStore::open(None, &dir.0).unwrap();
    let id = unique("layout");
    store
        .put(&id, 800, Encoding::Jpeg, b"jpeg".to_vec())
        .await
        .unwrap();
    store
        .put(&id, 800, Encoding::WebP, b"webp".to_vec())
        .await
        .unwrap();
    let at = |name: &str| -> PathBuf { dir.0.join("media").join(&id).join(name) };
    assert_eq!(std::fs::read(at("800.jpg")).unwrap(), b"jpeg");
    assert_eq!(std::fs::read(at("800.webp")).unwrap(), b"webp");

    // A data dir that cannot hold a directory is a `Directory` error, not a panic.
    let file = dir.0.join("a-file");
    std::fs::write(&file, b"").unwrap();
    assert!(matches!(
        MediaStore::open(None, &file),
        Err(StoreError::Directory(..))
    ));
}

#[test]
fn a_url_that_is_not_s3_bucket_prefix_is_refused() {
    let data_dir = Path::new("/nonexistent-dorfapp-media-store-test");
    for url in [
        "http://x",
        "https://bucket.s3.amazonaws.com/media",
        "s3://",
        "s3:///media",
        "S3://bucket",
        "file:///var/lib/dorfapp",
        "/var/lib/dorfapp/media",
        "dorfapp-ci",
    ] {
        match MediaStore::open(Some(url), data_dir) {
            Err(StoreError::Url(said)) => assert_eq!(said, url),
            Err(other) => panic!("{url:?}: not a Url error but {other}"),
            Ok(store) => panic!("{url:?}: opened as {}", store.location),
        }
    }
}

#[tokio::test]
async fn the_start_up_probe_passes_on_a_working_store_and_names_a_missing_bucket() {
    for b in backends("probe") {
        b.store
            .probe()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", b.name));
        if let Some(data_dir) = &b.data_dir {
            let left: Vec<_> = std::fs::read_dir(data_dir.join("media/_probe"))
                .map(|dir| dir.flatten().collect())
                .unwrap_or_default();
            assert!(left.is_empty(), "the probe leaves nothing behind: {left:?}");
        }
    }
    if std::env::var(S3_VAR)
        .ok()
        .filter(|u| !u.trim().is_empty())
        .is_none()
    {
        eprintln!("probe: missing-bucket part skipped ({S3_VAR} is unset)");
        return;
    }
    // Same server and credentials as the configured bucket, another bucket's name.
    let misnamed = MediaStore::open(
        Some(&format!("s3://{}/media", unique("no-such-bucket"))),
        &std::env::temp_dir(),
    )
    .expect("a well-formed URL opens; the bucket is only tried by the probe");
    let refused = misnamed.probe().await.expect_err("a missing bucket fails");
    assert!(
        matches!(refused, StoreError::Backend(_)),
        "the backend's own error, with its reason: {refused}"
    );
}
