//! `dorfapp serve`: the HTTP server and the job worker, with graceful shutdown.

use std::sync::Arc;

use poem::{
    Server,
    listener::{Acceptor, Listener, TcpAcceptor, TcpListener},
};
use tokio_util::sync::CancellationToken;

use crate::{
    app,
    config::Settings,
    state::{AppState, job_registry},
};
use domain::{clock::SystemClock, jobs::Worker};

/// Starts everything and serves until `shutdown` resolves.
pub async fn serve(
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let bind = settings.bind;
    let state = AppState::init(settings, Arc::new(SystemClock)).await?;
    let acceptor = TcpListener::bind(bind).into_acceptor().await?;
    run(state, acceptor, shutdown).await
}

/// Serves on an already bound acceptor (tests bind port 0 and read the address first).
/// On shutdown: stop accepting, let in-flight requests finish (up to the configured timeout),
/// let the worker finish its current job, close the pool.
pub async fn run(
    state: AppState,
    acceptor: TcpAcceptor,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let addresses: Vec<String> = acceptor
        .local_addr()
        .iter()
        .map(ToString::to_string)
        .collect();
    let stop = CancellationToken::new();
    let worker = Worker::new(
        state.job_context(),
        Arc::new(job_registry()),
        state.settings.job_poll_interval(),
    );
    let worker_task = tokio::spawn(worker.run(stop.clone()));
    let push_task = tokio::spawn(state.dispatcher().run(stop.clone()));
    let sms_task = state
        .sms_worker()
        .map(|worker| tokio::spawn(worker.run(stop.clone())));
    let signal = {
        let stop = stop.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections, finishing requests in flight");
            stop.cancel();
        }
    };
    let metrics_task = match state.settings.metrics_bind {
        Some(bind) => {
            let acceptor = TcpListener::bind(bind).into_acceptor().await?;
            tracing::info!(listen = %bind, "metrics listener ready");
            let stop = stop.clone();
            let endpoint = crate::http::operations::metrics_app(state.clone());
            Some(tokio::spawn(async move {
                Server::new_with_acceptor(acceptor)
                    .run_with_graceful_shutdown(endpoint, stop.cancelled_owned(), None)
                    .await
            }))
        }
        None => None,
    };
    tracing::info!(listen = ?addresses, "Dorf-App ready");
    let served = Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(
            app(state.clone()),
            signal,
            Some(state.settings.shutdown_timeout()),
        )
        .await;
    stop.cancel();
    if let Some(task) = metrics_task {
        task.abort();
    }
    // The worker finishes its current batch; a job cut off after this is taken over by another
    // worker once its lease runs out, so waiting longer than the shutdown timeout is not needed.
    match tokio::time::timeout(state.settings.shutdown_timeout(), worker_task).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::error!(error = %err, "job worker ended abnormally"),
        Err(_) => {
            tracing::warn!("job worker did not stop in time; its claims expire with their lease")
        }
    }
    match tokio::time::timeout(state.settings.shutdown_timeout(), push_task).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::error!(error = %err, "push worker ended abnormally"),
        Err(_) => {
            tracing::warn!("push worker did not stop in time; its claims expire with their lease")
        }
    }
    if let Some(task) = sms_task
        && tokio::time::timeout(state.settings.shutdown_timeout(), task)
            .await
            .is_err()
    {
        tracing::warn!("sms worker did not stop in time; its claims expire with their lease");
    }
    if let Err(err) = state.db.close_by_ref().await {
        tracing::warn!(error = %err, "closing the database pool failed");
    }
    tracing::info!("stopped");
    served.map_err(Into::into)
}

/// Resolves on SIGTERM (what container runtimes send) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
