//! The one HTTP client all pushes go through: pooled connections (HTTP/2 where the push
//! service offers it through ALPN, otherwise keep-alive HTTP/1.1), rustls, bounded timeouts,
//! no redirects, and a resolver that refuses private addresses — so a subscription whose host
//! name later points into the municipality's network cannot be used to reach it (SSRF).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use domain::push_prefs::is_public_address;

/// Resolves with the system resolver and keeps only public addresses, unless private targets
/// are allowed (local development and tests, `DORFAPP_PUSH_ALLOW_HTTP`).
struct PublicOnlyResolver {
    allow_private: bool,
}

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| allow_private || is_public_address(address.ip()))
                .collect();
            if addresses.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

pub fn build(allow_private: bool) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(PublicOnlyResolver { allow_private }))
        // A push service answers; it never needs to send us elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        // Four rounds of 64 requests at most this long stay well inside the 60 s claim of a
        // batch, so a slow push service cannot make a claim run out while its batch is sent.
        .timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(64)
        .user_agent(concat!("dorfapp/", env!("CARGO_PKG_VERSION")))
        .build()
}
