//! The command line: `dorfapp serve | migrate | create-admin | seed-demo | generate-vapid-keys |
//! openapi`.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use std::sync::Arc;

use crate::{AppState, config::Settings, server, telemetry};
use domain::{DomainError, accounts, clock::SystemClock, db, keys::VapidKeys};

/// A domain error in words for the terminal.
fn describe(err: &DomainError) -> String {
    match err {
        DomainError::Validation(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message.en))
            .collect::<Vec<_>>()
            .join("; "),
        DomainError::Conflict(text)
        | DomainError::NotFound(text)
        | DomainError::Unauthenticated(text) => text.en.to_string(),
        other => other.to_string(),
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "dorfapp",
    version,
    about = "The Dorf-App backend: news, rides, shops and push for a town and its villages"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and run the job worker (the default).
    Serve,
    /// Run the database migrations and exit.
    Migrate,
    /// Create an administrator account.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
    },
    /// Add demo accounts for every role and demo content, clearly marked as such.
    SeedDemo,
    /// Print a new VAPID key pair; with --write, store it as the server's key.
    GenerateVapidKeys {
        /// Write the private key to the configured VAPID key file (refuses to replace one).
        #[arg(long)]
        write: bool,
        /// With --write: replace an existing key. Every push subscription made with the old
        /// key stops working.
        #[arg(long, requires = "write")]
        force: bool,
    },
    /// Print the OpenAPI document (JSON, or YAML with --yaml). Needs no database.
    Openapi {
        #[arg(long)]
        yaml: bool,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi { yaml } = command {
        use crate::http::spec;
        println!("{}", if yaml { spec::yaml() } else { spec::json() });
        return Ok(ExitCode::SUCCESS);
    }
    let settings = Settings::load()?;
    telemetry::init_logging(&settings);
    match command {
        Command::Serve => {
            telemetry::init_metrics();
            tracing::info!(settings = ?settings, "starting");
            server::serve(settings, server::shutdown_signal()).await?;
        }
        Command::Migrate => {
            std::fs::create_dir_all(&settings.data_dir)?;
            let db = db::connect(&settings.database_url(), 1)
                .await
                .context("connecting to the database")?;
            db::migrate(&db).await.context("running migrations")?;
            println!("migrations applied");
        }
        Command::GenerateVapidKeys { write, force } => {
            let keys = VapidKeys::generate()?;
            if write {
                let path = settings.vapid_key_path();
                if path.exists() {
                    if !force {
                        anyhow::bail!(
                            "{} exists; replacing it breaks every push subscription (use --force to do it anyway)",
                            path.display()
                        );
                    }
                    std::fs::remove_file(&path)?;
                }
                domain::keys::write_new_secret(&path, &keys.private_key)?;
                println!("wrote {}", path.display());
            }
            println!("public_key={}", keys.public_key);
            if !write {
                println!("private_key={}", keys.private_key);
            }
        }
        Command::CreateAdmin { email, password } => {
            let state = AppState::init(settings, Arc::new(SystemClock)).await?;
            match accounts::create_admin(&state.db, &state.clock, &email, &password).await {
                Ok(user) => println!("created administrator {} ({})", user.email, user.id),
                Err(err) => anyhow::bail!("could not create the administrator: {}", describe(&err)),
            }
        }
        Command::SeedDemo => {
            let state = AppState::init(settings, Arc::new(SystemClock)).await?;
            let report = crate::demo::seed(&state)
                .await
                .map_err(|err| anyhow::anyhow!(describe(&err)))?;
            println!("{report}");
        }
        Command::Openapi { .. } => unreachable!("handled above"),
    }
    Ok(ExitCode::SUCCESS)
}
