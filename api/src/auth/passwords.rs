//! Password hashing: argon2id with OWASP's minimum parameters (m = 19 MiB, t = 2, p = 1).
//!
//! Hashing is slow on purpose. It runs on the blocking thread pool, never on the async threads
//! that serve requests, and at most as many hashes run at once as there are cores: a flood of
//! logins queues here instead of starving the feed.

use std::sync::{Arc, OnceLock};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::Semaphore;

/// OWASP Password Storage Cheat Sheet, argon2id minimum configuration.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

fn hasher() -> Argon2<'static> {
    // The parameters are constants within argon2's limits; `new` cannot fail for them.
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn permits() -> &'static Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Arc::new(Semaphore::new(cores.clamp(1, 8)))
    })
}

async fn bounded<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let _permit = permits()
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Ok(tokio::task::spawn_blocking(work).await?)
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) of a new hash with a random salt.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    bounded(move || {
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hashing(e.to_string()))
    })
    .await?
}

/// Whether the password matches the stored hash. A malformed hash never matches.
pub async fn verify(password: String, stored: String) -> Result<bool, PasswordError> {
    bounded(move || {
        hasher()
            .verify_password(password.as_bytes(), stored.as_str())
            .is_ok()
    })
    .await
}

/// Spends the same time as [`verify`] for an unknown email, so that the answer time does not
/// tell whether an account exists.
pub async fn verify_nobody(password: String) -> Result<bool, PasswordError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = match DUMMY.get() {
        Some(dummy) => dummy.clone(),
        None => {
            let created = hash("not a real password, only for timing".into()).await?;
            DUMMY.get_or_init(|| created).clone()
        }
    };
    verify(password, dummy).await.map(|_| false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let stored = hash("correct horse battery".into()).await.expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(
            verify("correct horse battery".into(), stored.clone())
                .await
                .expect("verify")
        );
        assert!(
            !verify("wrong horse battery".into(), stored)
                .await
                .expect("verify")
        );
        assert!(
            !verify("x".into(), "not a hash".into())
                .await
                .expect("verify")
        );
        assert!(
            !verify_nobody("anything at all".into())
                .await
                .expect("verify")
        );
    }
}
