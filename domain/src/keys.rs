//! The server's own keys: the token signing key and the VAPID key pair (RFC 8292). Created on
//! first start in the data directory (or the configured files) and reused afterwards, so tokens
//! stay valid and push subscriptions keep working across restarts.

use std::{
    fs,
    io::{self, Write},
    path::Path,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use p256::{SecretKey, elliptic_curve::sec1::ToEncodedPoint};

/// Bytes of the HMAC key that signs access tokens.
const TOKEN_KEY_LEN: usize = 64;

/// The keys the server signs with.
#[derive(Clone)]
pub struct ServerKeys {
    pub token_signing_key: Vec<u8>,
    pub vapid: VapidKeys,
}

impl std::fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKeys")
            .field("token_signing_key", &"[redacted]")
            .field("vapid_public_key", &self.vapid.public_key)
            .finish()
    }
}

/// A VAPID key pair, both halves base64url without padding (the form browsers and the
/// `web-push` crate expect).
#[derive(Clone)]
pub struct VapidKeys {
    /// The raw 32-byte P-256 private scalar.
    pub private_key: String,
    /// The uncompressed P-256 point (65 bytes, starting with 0x04): `applicationServerKey`.
    pub public_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key file {path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("key file {path} is not a valid key: {reason}")]
    Invalid { path: String, reason: String },
    #[error("no randomness available: {0}")]
    Random(String),
}

fn random_bytes(len: usize) -> Result<Vec<u8>, KeyError> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(bytes)
}

impl VapidKeys {
    /// A fresh P-256 key pair.
    pub fn generate() -> Result<Self, KeyError> {
        loop {
            // Almost every 32-byte string is a valid scalar; retry the astronomically rare rest.
            let bytes = random_bytes(32)?;
            if let Ok(secret) = SecretKey::from_slice(&bytes) {
                return Ok(Self::from_secret(&secret));
            }
        }
    }

    fn from_secret(secret: &SecretKey) -> Self {
        let public = secret.public_key().to_encoded_point(false);
        Self {
            private_key: URL_SAFE_NO_PAD.encode(secret.to_bytes()),
            public_key: URL_SAFE_NO_PAD.encode(public.as_bytes()),
        }
    }

    /// Reads a private key in base64url (padding tolerated) and derives the public key.
    pub fn from_private_key(encoded: &str) -> Result<Self, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded.trim().trim_end_matches('='))
            .map_err(|e| format!("not base64url: {e}"))?;
        let secret =
            SecretKey::from_slice(&bytes).map_err(|_| "not a P-256 private key".to_owned())?;
        Ok(Self::from_secret(&secret))
    }
}

/// Writes a new secret file readable by the owner only; never overwrites an existing one.
pub fn write_new_secret(path: &Path, contents: &str) -> Result<(), KeyError> {
    let io_err = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io_err)?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_err)?;
    file.write_all(contents.as_bytes()).map_err(io_err)?;
    file.sync_all().map_err(io_err)
}

fn read_or_create(
    path: &Path,
    create: impl FnOnce() -> Result<String, KeyError>,
) -> Result<String, KeyError> {
    match fs::read_to_string(path) {
        Ok(contents) => Ok(contents.trim().to_owned()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            let contents = create()?;
            match write_new_secret(path, &contents) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "created new key file");
                    Ok(contents)
                }
                // Another instance created it a moment ago: use theirs.
                Err(KeyError::Io { source, .. })
                    if source.kind() == io::ErrorKind::AlreadyExists =>
                {
                    Ok(fs::read_to_string(path)
                        .map_err(|source| KeyError::Io {
                            path: path.display().to_string(),
                            source,
                        })?
                        .trim()
                        .to_owned())
                }
                Err(err) => Err(err),
            }
        }
        Err(source) => Err(KeyError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Loads both keys, creating missing ones.
pub fn load_or_create(
    token_key_path: &Path,
    vapid_key_path: &Path,
) -> Result<ServerKeys, KeyError> {
    let token = read_or_create(token_key_path, || {
        Ok(URL_SAFE_NO_PAD.encode(random_bytes(TOKEN_KEY_LEN)?))
    })?;
    let token_signing_key = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .ok()
        .filter(|k| k.len() >= 32)
        .ok_or_else(|| KeyError::Invalid {
            path: token_key_path.display().to_string(),
            reason: "expected at least 32 bytes, base64url".into(),
        })?;
    let vapid_private = read_or_create(vapid_key_path, || Ok(VapidKeys::generate()?.private_key))?;
    let vapid =
        VapidKeys::from_private_key(&vapid_private).map_err(|reason| KeyError::Invalid {
            path: vapid_key_path.display().to_string(),
            reason,
        })?;
    Ok(ServerKeys {
        token_signing_key,
        vapid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("dorfapp-keys-{}", uuid::Uuid::now_v7()));
        let (token, vapid) = (dir.join("token.key"), dir.join("vapid.key"));
        let first = load_or_create(&token, &vapid).expect("create");
        let second = load_or_create(&token, &vapid).expect("reuse");
        assert_eq!(first.token_signing_key, second.token_signing_key);
        assert_eq!(first.vapid.public_key, second.vapid.public_key);
        let public = URL_SAFE_NO_PAD
            .decode(&first.vapid.public_key)
            .expect("base64url");
        assert_eq!(public.len(), 65);
        assert_eq!(public[0], 0x04, "uncompressed point");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&vapid).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "key file must not be readable by others");
        }
        fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn broken_key_file_is_reported_not_replaced() {
        let dir = std::env::temp_dir().join(format!("dorfapp-keys-{}", uuid::Uuid::now_v7()));
        fs::create_dir_all(&dir).expect("dir");
        fs::write(dir.join("vapid.key"), "not a key").expect("write");
        let result = load_or_create(&dir.join("token.key"), &dir.join("vapid.key"));
        assert!(matches!(result, Err(KeyError::Invalid { .. })));
        assert_eq!(
            fs::read_to_string(dir.join("vapid.key")).expect("read"),
            "not a key"
        );
        fs::remove_dir_all(dir).ok();
    }
}
