//! The `dorfapp` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: a feed page allocates many small strings across tokio's
/// workers and sqlx's SQLite threads, where glibc's arenas spent about a quarter of the CPU
/// time in malloc, free and consolidation; with mimalloc the feed serves ~40% more requests
/// per second (`docs/benchmarks.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = dorfapp::cli::Cli::parse();
    match dorfapp::cli::run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("dorfapp: {err:#}");
            tracing::error!(error = format!("{err:#}"), "fatal");
            ExitCode::FAILURE
        }
    }
}
