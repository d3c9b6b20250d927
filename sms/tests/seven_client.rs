//! The seven.io client against a fake seven.io on loopback that speaks its wire format: the
//! form fields and `X-Api-Key` it checks, the JSON (or bare code) it answers, the status codes
//! and `Retry-After` of a busy gateway. What the client makes of each answer is what the
//! outbox will act on.

use std::sync::{Arc, Mutex};

use poem::{
    EndpointExt, Response, Route, Server, handler,
    http::{HeaderMap, StatusCode},
    listener::{Acceptor, Listener, TcpListener},
    post,
    web::{Data, Form},
};
use sms::{
    OutgoingSms, SendOutcome, SmsProvider,
    seven::{SevenClient, SevenConfig},
};

const API_KEY: &str = "test-api-key";

type Received = Arc<Mutex<Vec<Vec<(String, String)>>>>;

/// seven.io's `POST /api/sms`, scripted by the recipient's last digits.
#[handler]
fn send_sms(
    headers: &HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
    Data(received): Data<&Received>,
) -> Response {
    if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(API_KEY) {
        // seven.io answers a wrong key with a bare code on 200.
        return Response::builder().body("900");
    }
    received.lock().unwrap().push(fields.clone());
    let to = fields
        .iter()
        .find(|(k, _)| k == "to")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    match to.as_str() {
        "+491700000500" => Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .header("Retry-After", "7")
            .finish(),
        "+491700000429" => Response::builder()
            .status(StatusCode::TOO_MANY_REQUESTS)
            .finish(),
        "+491700000202" => Response::builder()
            .content_type("application/json")
            .body(r#"{"success":"202","total_price":0,"balance":12.3,"debug":"false","sms_type":"direct","messages":[]}"#),
        // The old text mode's bare "100": sent, with no id.
        "+491700000100" => Response::builder().body("100"),
        "+491700000000" => Response::builder()
            .content_type("application/json")
            .body(r#"{"success":"500","messages":[]}"#),
        _ => Response::builder().content_type("application/json").body(format!(
            r#"{{"success":"100","total_price":0.075,"balance":12.3,"debug":"false","sms_type":"direct","messages":[{{"id":"77149843739","sender":"4939483900","recipient":"{}","text":"…","encoding":"gsm","parts":1,"price":0.075,"success":true,"error":null,"error_text":null,"is_binary":false,"udh":null,"label":null}}]}}"#,
            to.trim_start_matches('+')
        )),
    }
}

async fn fake_seven() -> (String, Received) {
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind");
    let port = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .expect("address")
        .port();
    let received = Received::default();
    let routes = Route::new()
        .at("/api/sms", post(send_sms))
        .data(received.clone());
    tokio::spawn(async move {
        let _ = Server::new_with_acceptor(acceptor).run(routes).await;
    });
    (format!("http://127.0.0.1:{port}/api"), received)
}

fn client(api_url: &str, key: &str) -> SevenClient {
    SevenClient::new(
        SevenConfig {
            api_url: api_url.to_owned(),
            api_key: key.to_owned(),
            from: "+4939483900".to_owned(),
        },
        true,
    )
    .expect("client")
}

fn message(to: &str) -> OutgoingSms {
    OutgoingSms {
        to: to.to_owned(),
        text: "Fahrdienst: Ihre Fahrt am Do 04.06. um 09:30 ist zugesagt, es fährt Sie Thomas."
            .to_owned(),
        reference: "01939a7e-5d2c-7c1e-9f4e-2b7d9c1a0e11".to_owned(),
    }
}

#[tokio::test]
async fn a_message_is_sent_with_seven_ios_fields_and_its_id_kept() {
    let (url, received) = fake_seven().await;
    let outcome = client(&url, API_KEY).send(&message("+491711234567")).await;
    assert_eq!(
        outcome,
        SendOutcome::Accepted {
            provider_id: Some("77149843739".into()),
            segments: 1,
            price_micros: Some(75_000),
        }
    );
    let sent = received.lock().unwrap().clone();
    assert_eq!(
        sent,
        [vec![
            ("to".to_owned(), "+491711234567".to_owned()),
            ("text".to_owned(), message("").text),
            ("from".to_owned(), "+4939483900".to_owned()),
            (
                "foreign_id".to_owned(),
                "01939a7e-5d2c-7c1e-9f4e-2b7d9c1a0e11".to_owned()
            ),
        ]]
    );
}

#[tokio::test]
async fn each_answer_of_the_gateway_becomes_what_the_outbox_must_do() {
    let (url, _) = fake_seven().await;
    let seven = client(&url, API_KEY);
    assert!(matches!(
        seven.send(&message("+491700000500")).await,
        SendOutcome::Retry { after: Some(after), .. } if after.as_secs() == 7
    ));
    assert!(matches!(
        seven.send(&message("+491700000429")).await,
        SendOutcome::Retry { after: None, .. }
    ));
    assert!(matches!(
        seven.send(&message("+491700000202")).await,
        SendOutcome::Refused { .. }
    ));
    assert!(matches!(
        seven.send(&message("+491700000000")).await,
        SendOutcome::AccountProblem { reason } if reason.contains("credit")
    ));
    // Sent, though the answer names no id: never sent again.
    assert_eq!(
        seven.send(&message("+491700000100")).await,
        SendOutcome::Accepted {
            provider_id: None,
            segments: 1,
            price_micros: None
        }
    );
    // A wrong address (404): the operator's to fix, not the message's fault.
    assert!(matches!(
        client(&format!("{url}/wrong"), API_KEY)
            .send(&message("+491711234567"))
            .await,
        SendOutcome::AccountProblem { reason } if reason.contains("404")
    ));
    // A wrong key: seven.io's bare "900".
    assert!(matches!(
        client(&url, "wrong").send(&message("+491711234567")).await,
        SendOutcome::AccountProblem { reason } if reason.contains("900")
    ));
    // Nobody listening: tried again later.
    assert!(matches!(
        client("http://127.0.0.1:9/api", API_KEY)
            .send(&message("+491711234567"))
            .await,
        SendOutcome::Retry { .. }
    ));
}

#[test]
fn production_insists_on_https() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let seven = SevenClient::new(
        SevenConfig {
            api_url: "http://gateway.example/api".into(),
            api_key: API_KEY.into(),
            from: "+4939483900".into(),
        },
        false,
    )
    .expect("client");
    assert!(matches!(
        rt.block_on(seven.send(&message("+491711234567"))),
        SendOutcome::Retry { .. }
    ));
}
