//! Password hashing: argon2id with OWASP's minimum parameters (m = 19 MiB, t = 2, p = 1).
//!
//! Hashing is slow on purpose (about 20 ms of CPU each). It runs on threads of its own, never
//! on the async threads that serve requests; at most as many hashes run at once as there are
//! cores, and on Linux those threads run at a lower priority (nice 10). A flood of logins
//! queues here and takes the CPU the reads leave over, instead of starving the feed; with
//! nothing else to do, logins still get every core.

use std::sync::{Arc, OnceLock};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::Semaphore;

/// OWASP Password Storage Cheat Sheet, argon2id minimum configuration.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

/// The nice value of hashing threads: under contention the scheduler gives such a thread
/// about a tenth of the share of a normal one (CFS weights 110 against 1024).
const HASHING_NICE: i32 = 10;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("password hashing thread ended without an answer")]
    Lost,
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
    let (answer, answered) = tokio::sync::oneshot::channel();
    // A thread per hash, not tokio's blocking pool: its priority is lowered for good, which
    // must not happen to pool threads that later run other work. Starting a thread costs tens
    // of microseconds against milliseconds of hashing, and the permits bound their number.
    std::thread::Builder::new()
        .name("argon2".into())
        .spawn(move || {
            lower_this_threads_priority();
            // The receiver is gone only if the request was dropped; nothing to tell then.
            let _ = answer.send(work());
        })
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    // A panic in `work` drops the sender.
    answered.await.map_err(|_| PasswordError::Lost)
}

/// Linux keeps a nice value per thread; `setpriority` with the thread id changes only this
/// thread. Raising the value needs no privilege. Failure leaves the priority as it was, which
/// is harmless, so it is ignored.
#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // SAFETY: plain system calls on the calling thread with valid constant arguments; they
    // touch no memory of ours.
    unsafe {
        let tid = libc::gettid();
        #[allow(clippy::cast_sign_loss, reason = "a thread id is positive")]
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, HASHING_NICE);
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

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

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_runs_at_a_lower_priority_than_serving() {
        let nice_of_this_thread = || {
            // SAFETY: reads the calling thread's nice value; no memory is touched.
            unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
        };
        let serving = nice_of_this_thread();
        let hashing = bounded(nice_of_this_thread).await.expect("runs");
        assert!(hashing >= HASHING_NICE.min(19), "nice {hashing}");
        assert!(hashing > serving || serving >= 19, "{hashing} vs {serving}");
    }
}
