//! Graceful shutdown over a real socket: on the signal the server stops accepting, finishes the
//! requests in flight, stops the worker and returns.

use std::{sync::Arc, time::Duration};

use domain::clock::SystemClock;
use dorfapp::AppState;
use poem::listener::{Acceptor, Listener, TcpListener};
use tokio::sync::{mpsc, oneshot};

use crate::support::TestDatabase;

#[tokio::test]
async fn a_request_in_flight_finishes_after_the_shutdown_signal() {
    let db = TestDatabase::new().await;
    let state = AppState::init(db.settings(), Arc::new(SystemClock))
        .await
        .expect("init");
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind");
    let addr = acceptor.local_addr()[0]
        .as_socket_addr()
        .copied()
        .expect("tcp address");
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(dorfapp::server::run(state, acceptor, async {
        stop_rx.await.ok();
    }));

    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    let ready = client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .expect("server answers");
    assert_eq!(ready.status(), 200);

    // A slow upload: the request is in flight while the signal arrives.
    let (chunks_tx, chunks_rx) = mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(tokio_stream::wrappers::ReceiverStream::new(chunks_rx));
    let in_flight = tokio::spawn({
        let client = client.clone();
        let url = format!("{base}/api/v1/districts");
        async move {
            client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
        }
    });
    chunks_tx
        .send(Ok(b"{\"slug\": ".to_vec()))
        .await
        .expect("first chunk");
    tokio::time::sleep(Duration::from_millis(200)).await;

    stop_tx.send(()).expect("signal");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !server.is_finished(),
        "the server waits for the request in flight"
    );

    chunks_tx
        .send(Ok(b"\"late\"}".to_vec()))
        .await
        .expect("last chunk");
    drop(chunks_tx);
    let answer = in_flight
        .await
        .expect("task")
        .expect("the request in flight gets its answer");
    // What matters here is a complete answer, whatever the route makes of the body.
    assert!(answer.status().is_client_error(), "{}", answer.status());
    assert_eq!(
        answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );

    let finished = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server stops");
    finished.expect("task").expect("clean shutdown");
    let refused = reqwest::Client::new()
        .get(format!("{base}/health/live"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(refused.is_err(), "no new connections after shutdown");
}
