//! The `dorfapp` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

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
