//! The HTTP endpoint against a small test server on 127.0.0.1 (plain HTTP, and HTTPS with a
//! CA made for the test): answers, the request sent, and every way of failing.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{kind, Kind};

use borderdb::{
    Answer, BorderDb, BorderDbConfig, BorderDbError, Category, EndpointError, Person, Query,
    QueryFields,
};

/// A hit answer of the contract (docs/borderdb-http.md).
const HIT: &str = r#"{"hit": true, "source": "sltd", "category": "stolen_document", "action": "Seize the document"}"#;

const NUMBER: &str = "L898902C3";

/// What the test server saw of one request.
#[derive(Debug)]
struct Seen {
    request_line: String,
    /// Header lines, names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A server answering every request with `answer` after `delay`; reports each request.
struct Server {
    port: u16,
    seen: mpsc::Receiver<Seen>,
}

impl Server {
    fn start(answer: Vec<u8>, delay: Duration) -> Self {
        Self::start_with(answer, delay, None)
    }

    fn start_with(
        answer: Vec<u8>,
        delay: Duration,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, seen) = mpsc::channel();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (answer, tx, tls) = (answer.clone(), tx.clone(), tls.clone());
                thread::spawn(move || {
                    let _ = match tls {
                        None => serve(stream, &answer, delay, &tx),
                        Some(config) => {
                            let Ok(conn) = rustls::ServerConnection::new(config) else {
                                return;
                            };
                            serve(rustls::StreamOwned::new(conn, stream), &answer, delay, &tx)
                        }
                    };
                });
            }
        });
        Self { port, seen }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1/check", self.port)
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.try_iter().collect()
    }
}

/// Reads one request, waits, answers, closes.
fn serve(
    stream: impl Read + Write,
    answer: &[u8],
    delay: Duration,
    seen: &mpsc::Sender<Seen>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let _ = seen.send(Seen {
        request_line: request_line.trim_end().to_string(),
        headers,
        body,
    });
    thread::sleep(delay);
    let stream = reader.get_mut();
    stream.write_all(answer)?;
    stream.flush()
}

fn http(status: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn query() -> Query {
    query_for("l898902c3<<")
}

fn query_for(document_number: &str) -> Query {
    Query::new(QueryFields {
        document_code: "PD",
        issuing_state: "UTO",
        document_number,
        nationality: "D",
    })
    .unwrap()
}

fn config(url: &str) -> BorderDbConfig {
    BorderDbConfig {
        url: url.into(),
        timeout_s: 5.0,
        ..BorderDbConfig::default()
    }
}

fn temp_file(dir: &Path, name: &str, content: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// The test document is a hit, and nothing went wrong on the way.
fn assert_clean_hit(list: &BorderDb) {
    let checked = list.check(&query());
    assert_eq!((kind(&checked.answer), checked.errors), (Kind::Hit, vec![]));
}

/// Checks once against `answer`; the result and the only error, if any.
fn check_against(answer: Vec<u8>) -> (Kind, Option<EndpointError>) {
    let server = Server::start(answer, Duration::ZERO);
    let list = BorderDb::new(&config(&server.url())).unwrap();
    let checked = list.check(&query());
    assert_no_document_data(&checked.errors);
    assert!(checked.errors.len() <= 1, "{:?}", checked.errors);
    let error = checked.errors.into_iter().next().map(|e| match e {
        BorderDbError::Endpoint(e) => e,
        other => panic!("not an endpoint error: {other:?}"),
    });
    (kind(&checked.answer), error)
}

fn assert_no_document_data(errors: &[BorderDbError]) {
    for e in errors {
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(NUMBER), "{shown}");
    }
}

#[test]
fn a_hit_sends_the_query_and_the_bearer_token() {
    let server = Server::start(http("200 OK", "", HIT), Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let token = temp_file(dir.path(), "token", b"s3cr3t-t0ken\n");
    let list = BorderDb::new(&BorderDbConfig {
        token_file: token,
        ..config(&server.url())
    })
    .unwrap();
    let checked = list.check(&query());
    assert_eq!(kind(&checked.answer), Kind::Hit);
    assert_eq!(checked.errors, []);

    let [seen] = <[Seen; 1]>::try_from(server.requests()).unwrap();
    assert_eq!(seen.request_line, "POST /v1/check HTTP/1.1");
    assert_eq!(seen.header("authorization"), Some("Bearer s3cr3t-t0ken"));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "document": { "number": "L898902C3", "issuing_state": "UTO", "type": "P" },
        })
    );
    // The answer's source, category and action reach the hit.
    let Answer::Hit(hit) = &checked.answer else {
        panic!("{:?}", checked.answer)
    };
    assert_eq!(
        (hit.source.as_str(), hit.category, hit.action.text()),
        ("sltd", Category::StolenDocument, "Seize the document")
    );
    // The token is in no Debug output.
    assert!(!format!("{list:?}").contains("s3cr3t"));
}

/// docs/borderdb-http.md: the person part carries DG1's names and date of birth, normalised.
#[test]
fn the_person_is_sent_with_the_document() {
    let server = Server::start(http("200 OK", "", r#"{"hit": false}"#), Duration::ZERO);
    let list = BorderDb::new(&config(&server.url())).unwrap();
    let born = gate::CivilDate::new(1974, 8, 12).unwrap();
    let q = query().with_person(Person::new("ERIKSSON", "ANNA<MARIA<<", Some(born)).unwrap());
    assert_eq!(kind(&list.check(&q).answer), Kind::Clear);
    let q = query().with_person(Person::new("ERIKSSON", "", None).unwrap());
    assert_eq!(kind(&list.check(&q).answer), Kind::Clear);
    let bodies: Vec<serde_json::Value> = server
        .requests()
        .iter()
        .map(|s| serde_json::from_slice(&s.body).unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            serde_json::json!({
                "document": { "number": "L898902C3", "issuing_state": "UTO", "type": "P" },
                "person": { "primary_identifier": "ERIKSSON", "secondary_identifier": "ANNA MARIA",
                            "birth_date": "1974-08-12", "nationality": "D<<" },
            }),
            serde_json::json!({
                "document": { "number": "L898902C3", "issuing_state": "UTO", "type": "P" },
                "person": { "primary_identifier": "ERIKSSON", "secondary_identifier": "",
                            "birth_date": null, "nationality": "D<<" },
            }),
        ]
    );
}

#[test]
fn a_miss_is_clear_and_without_a_token_no_authorization_is_sent() {
    let server = Server::start(
        http(
            "200 OK",
            "",
            r#"{"hit": false, "list_version": "2025-06-01"}"#,
        ),
        Duration::ZERO,
    );
    let list = BorderDb::new(&config(&server.url())).unwrap();
    let checked = list.check(&query());
    assert_eq!(
        (kind(&checked.answer), checked.errors),
        (Kind::Clear, vec![])
    );
    let [seen] = <[Seen; 1]>::try_from(server.requests()).unwrap();
    assert_eq!(seen.header("authorization"), None);
}

#[test]
fn a_slow_endpoint_is_unavailable() {
    let server = Server::start(
        http("200 OK", "", r#"{"hit": false}"#),
        Duration::from_secs(10),
    );
    let list = BorderDb::new(&BorderDbConfig {
        timeout_s: 0.3,
        ..config(&server.url())
    })
    .unwrap();
    let checked = list.check(&query());
    assert_eq!(kind(&checked.answer), Kind::Unavailable);
    assert_eq!(
        checked.errors,
        [BorderDbError::Endpoint(EndpointError::Timeout)]
    );
}

#[test]
fn a_server_error_is_unavailable() {
    assert_eq!(
        check_against(http("500 Internal Server Error", "", r#"{"hit": false}"#)),
        (Kind::Unavailable, Some(EndpointError::Status(500)))
    );
    assert_eq!(
        check_against(http("401 Unauthorized", "", "")),
        (Kind::Unavailable, Some(EndpointError::Status(401)))
    );
}

#[test]
fn an_answer_that_is_not_hit_true_or_false_is_unavailable() {
    for body in [
        "hit",
        "",
        "{}",
        r#"{"hit": "yes"}"#,
        r#"{"hit": 1}"#,
        r#"{"hit": true} trailing"#,
        r#"[true]"#,
    ] {
        assert_eq!(
            check_against(http("200 OK", "", body)),
            (Kind::Unavailable, Some(EndpointError::Malformed)),
            "{body}"
        );
    }
}

#[test]
fn an_oversized_answer_is_unavailable() {
    let body = format!("{}{{\"hit\": false}}", " ".repeat(70 * 1024));
    assert_eq!(
        check_against(http("200 OK", "", &body)),
        (Kind::Unavailable, Some(EndpointError::TooLarge))
    );
}

#[test]
fn a_redirect_is_not_followed() {
    let server = Server::start(
        http(
            "307 Temporary Redirect",
            "location: http://127.0.0.1:9/elsewhere\r\n",
            "",
        ),
        Duration::ZERO,
    );
    let list = BorderDb::new(&config(&server.url())).unwrap();
    let checked = list.check(&query());
    assert_eq!(kind(&checked.answer), Kind::Unavailable);
    assert_eq!(
        checked.errors,
        [BorderDbError::Endpoint(EndpointError::Redirect(307))]
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn no_server_is_unavailable() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let list = BorderDb::new(&config(&format!("http://127.0.0.1:{port}/check"))).unwrap();
    let checked = list.check(&query());
    assert_eq!(kind(&checked.answer), Kind::Unavailable);
    assert_eq!(checked.errors.len(), 1);
    assert_no_document_data(&checked.errors);
}

#[test]
fn plain_http_to_another_host_is_refused() {
    let c = config("http://192.0.2.10/check");
    let problems = c.problems();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, "borderdb.url");
    assert!(problems[0].1.contains("https://"), "{}", problems[0].1);
    assert!(matches!(
        BorderDb::new(&c).unwrap_err(),
        BorderDbError::Config { key, .. } if key == "borderdb.url"
    ));
}

#[test]
fn bad_token_and_ca_files_are_errors_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config("https://127.0.0.1:1/check");
    c.token_file = temp_file(dir.path(), "token", b"two words\n");
    let err = BorderDb::new(&c).unwrap_err();
    assert!(matches!(err, BorderDbError::BadToken { .. }), "{err:?}");
    assert!(!err.to_string().contains("two words"));

    let mut c = config("https://127.0.0.1:1/check");
    c.ca_file = temp_file(dir.path(), "ca.pem", b"not a certificate\n");
    let err = BorderDb::new(&c).unwrap_err();
    assert!(matches!(err, BorderDbError::BadCa { .. }), "{err:?}");
}

#[test]
fn a_file_hit_does_not_ask_the_endpoint_and_a_file_miss_does() {
    let server = Server::start(http("503 Service Unavailable", "", ""), Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(dir.path(), "list.txt", b"UTO L898902C3\n");
    let list = BorderDb::new(&BorderDbConfig {
        file,
        ..config(&server.url())
    })
    .unwrap();
    assert_clean_hit(&list);
    assert_eq!(server.requests().len(), 0);

    // Not in the file, and the endpoint fails: Unavailable, not Clear.
    let checked = list.check(&query_for("C01X00T47"));
    assert_eq!(kind(&checked.answer), Kind::Unavailable);
    assert_eq!(
        checked.errors,
        [BorderDbError::Endpoint(EndpointError::Status(503))]
    );
    assert_eq!(server.requests().len(), 1);
}

/// A CA and a server certificate for 127.0.0.1 signed by it.
fn test_pki() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        )
        .unwrap();
    (ca.pem(), Arc::new(server))
}

#[test]
fn https_trusts_the_configured_ca_only() {
    let (ca_pem, server_config) = test_pki();
    let server = Server::start_with(http("200 OK", "", HIT), Duration::ZERO, Some(server_config));
    let url = format!("https://127.0.0.1:{}/v1/check", server.port);
    let dir = tempfile::tempdir().unwrap();
    let ca_file = temp_file(dir.path(), "ca.pem", ca_pem.as_bytes());

    let list = BorderDb::new(&BorderDbConfig {
        ca_file,
        ..config(&url)
    })
    .unwrap();
    assert_clean_hit(&list);
    assert_eq!(server.requests().len(), 1);

    // The built-in roots do not know the test CA: no request is sent.
    let list = BorderDb::new(&config(&url)).unwrap();
    let checked = list.check(&query());
    assert_eq!(kind(&checked.answer), Kind::Unavailable);
    assert!(
        matches!(
            checked.errors.as_slice(),
            [BorderDbError::Endpoint(EndpointError::Tls(_))]
        ),
        "{:?}",
        checked.errors
    );
    assert_eq!(server.requests().len(), 0);
}

/// The daemon opens the list from async code and queries it on blocking threads: neither may
/// trip the HTTP client's guard against blocking inside the runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opened_in_async_code_and_queried_on_a_blocking_thread() {
    let server = Server::start(http("200 OK", "", HIT), Duration::ZERO);
    let list = Arc::new(BorderDb::new(&config(&server.url())).unwrap());
    let checked = {
        let list = Arc::clone(&list);
        tokio::task::spawn_blocking(move || list.check(&query()))
            .await
            .unwrap()
    };
    assert_eq!((kind(&checked.answer), checked.errors), (Kind::Hit, vec![]));
    drop(list);
}
