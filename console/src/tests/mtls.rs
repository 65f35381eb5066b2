//! Commands over the gate API need a console's client certificate (mutual TLS) and carry the
//! officer and role signed with its key (issue #17 item 5): tested over real HTTPS on
//! loopback, with certificates made by rcgen, a peer this project did not write.

use std::path::{Path, PathBuf};

use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use rustls::pki_types::PrivateKeyDer;

use super::*;
use crate::assertion::{self, Assertion, ConsoleIdentity, SignedCommand};

/// A CA that signs console certificates.
pub(super) struct TestPki {
    ca: rcgen::Certificate,
    key: KeyPair,
}

/// A console's client certificate and key, signed by a [`TestPki`].
pub(super) struct TestConsole {
    name: String,
    cert_pem: String,
    key_pem: String,
    der: Vec<u8>,
    pub(super) identity: ConsoleIdentity,
}

impl TestPki {
    pub(super) fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "egate test console CA");
        let key = KeyPair::generate().unwrap();
        let ca = params.self_signed(&key).unwrap();
        Self { ca, key }
    }

    /// A console certificate (client authentication) signed by this CA.
    pub(super) fn console(&self, name: &str) -> TestConsole {
        let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca, &self.key).unwrap();
        let der = cert.der().to_vec();
        let identity = ConsoleIdentity::from_der(
            vec![cert.der().clone()],
            PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        )
        .unwrap();
        TestConsole {
            name: name.into(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der,
            identity,
        }
    }

    /// Writes the CA certificate into `dir`.
    pub(super) fn write_ca(&self, dir: &Path) -> PathBuf {
        let path = dir.join("console-ca.pem");
        std::fs::write(&path, self.ca.pem()).unwrap();
        path
    }
}

impl TestConsole {
    /// What the TLS layer puts into a request that came with this certificate.
    pub(super) fn client_cert(&self) -> tls::ClientCert {
        tls::ClientCert(Arc::new(self.der.clone()))
    }

    /// Writes the certificate and its private key (0600) into `dir`.
    pub(super) fn write(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let cert = dir.join(format!("{}.pem", self.name));
        let key = dir.join(format!("{}.key", self.name));
        std::fs::write(&cert, &self.cert_pem).unwrap();
        audit::private_file(&key, self.key_pem.as_bytes()).unwrap();
        (cert, key)
    }

    /// A signed command as JSON.
    pub(super) fn signed(
        &self,
        gate: &str,
        officer: &str,
        role: Role,
        action: OfficerCommand,
    ) -> String {
        let a = assertion_for(gate, officer, role, action);
        serde_json::to_string(&self.identity.sign(&a).unwrap()).unwrap()
    }
}

fn assertion_for(gate: &str, officer: &str, role: Role, action: OfficerCommand) -> Assertion {
    Assertion {
        officer: officer.into(),
        role,
        gate: gate.into(),
        action,
        comment: Some("test".into()),
        issued_ms: hub::now_ms(),
        nonce: assertion::nonce(),
    }
}

/// A gate daemon's console with the gate API on (the token [`TOKEN`], and the client CA of
/// `pki` if given) over local gates: the console, each gate and its command receiver, the
/// audit trail's path.
pub(super) struct GateDaemon {
    pub console: Console,
    pub gates: Vec<Arc<LocalGate>>,
    pub commands: Vec<tokio::sync::mpsc::UnboundedReceiver<OfficerRequest>>,
    pub audit_path: PathBuf,
    pub token_file: PathBuf,
    pub dir: tempfile::TempDir,
    stop: tokio::sync::watch::Sender<bool>,
}

pub(super) async fn gate_daemon(ids: &[&str], pki: Option<&TestPki>) -> GateDaemon {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    audit::private_file(&token_file, format!("{TOKEN}\n").as_bytes()).unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let audit = Arc::new(Mutex::new(
        AuditLog::open(&audit_path, "gates", &audit::AuditKey::from_bytes(&[5; 32])).unwrap(),
    ));
    let (gates, commands): (Vec<_>, Vec<_>) =
        ids.iter().map(|id| LocalGate::new(status(id))).unzip();
    let links: Vec<Arc<dyn GateLink>> = gates
        .iter()
        .map(|g| Arc::clone(g) as Arc<dyn GateLink>)
        .collect();
    let cfg = ConsoleConfig {
        listen: "127.0.0.1:0".into(),
        gate_api_token_file: token_file.clone(),
        gate_api_client_ca_file: pki.map(|p| p.write_ca(dir.path())).unwrap_or_default(),
        ..Default::default()
    };
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let env = Env {
        audit,
        simulation: true,
        state_dir: dir.path().to_path_buf(),
        json_logs: false,
        gates_write_here: true,
    };
    let console = start(links, &cfg, env, stop_rx).await.unwrap();
    GateDaemon {
        console,
        gates,
        commands,
        audit_path,
        token_file,
        dir,
        stop,
    }
}

impl GateDaemon {
    pub fn entry(&self, client: Option<(PathBuf, PathBuf)>) -> remote::GateEntry {
        let (client_cert_file, client_key_file) = match client {
            Some((c, k)) => (Some(c), Some(k)),
            None => (None, None),
        };
        remote::GateEntry {
            id: "g1".into(),
            url: format!("https://{}", self.console.addr),
            token_file: self.token_file.clone(),
            fingerprint: Some(self.console.fingerprint.clone()),
            client_cert_file,
            client_key_file,
        }
    }

    /// An HTTPS client pinned to the daemon's certificate, presenting `identity` if given.
    fn client(&self, identity: Option<&ConsoleIdentity>) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_backend_preconfigured(
                remote::tls_config(&self.entry(None), true, identity).unwrap(),
            )
            .no_proxy()
            .build()
            .unwrap()
    }

    /// Posts a command body for `gate` through `client`: the status and the error code.
    async fn post(
        &self,
        client: &reqwest::Client,
        gate: &str,
        body: String,
    ) -> Result<(u16, String), String> {
        let url = format!(
            "https://{}{}/gates/{gate}/commands",
            self.console.addr,
            routes::GATE_API_PREFIX
        );
        let resp = client
            .post(url)
            .bearer_auth(TOKEN)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok((status, v["error"].as_str().unwrap_or("").to_string()))
    }

    fn commands_audited(&self) -> Vec<Value> {
        audit::read_records(&self.audit_path)
            .unwrap()
            .into_iter()
            .filter(|r| r["kind"] == "officer_command")
            .collect()
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.console.task).await;
    }
}

/// A command properly signed by a console whose certificate the gate's CA signed, sent with
/// the right bearer token but without the client certificate, is refused (403) and never
/// reaches the gate; a certificate from another CA fails the handshake; a remote link with no
/// client certificate refuses to send commands; the same command with the certificate passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_command_without_the_client_certificate_is_refused() {
    let pki = TestPki::new();
    let mut d = gate_daemon(&["g1", "g2"], Some(&pki)).await;
    let console = pki.console("console-1");
    let body = || console.signed("g1", "olga", Role::Officer, OfficerCommand::Refer);

    let no_cert = d.client(None);
    assert_eq!(
        d.post(&no_cert, "g1", body()).await,
        Ok((403, "client_certificate_required".into()))
    );
    // A console certificate from another CA: the handshake itself fails.
    let stranger = TestPki::new().console("console-1");
    let foreign = d.client(Some(&stranger.identity));
    let r = d
        .post(
            &foreign,
            "g1",
            stranger.signed("g1", "olga", Role::Officer, OfficerCommand::Refer),
        )
        .await;
    assert!(r.is_err(), "a certificate from another CA: {r:?}");
    assert!(
        d.commands[0].try_recv().is_err(),
        "a refused command reached the gate"
    );
    assert!(d.commands_audited().is_empty());

    // A remote link configured without a client certificate does not send commands.
    let link = remote::RemoteGate::connect(&d.entry(None)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while GateLink::status(&*link).is_err() {
        assert!(Instant::now() < deadline, "the remote link did not come up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = GateLink::command(
        &*link,
        OfficerRequest {
            officer: "olga".into(),
            role: Role::Officer,
            action: OfficerCommand::Refer,
            comment: None,
        },
    );
    assert!(matches!(r, Err(LinkError::Refused(..))), "{r:?}");

    // With the certificate: accepted, and the gate's audit names the console's certificate.
    let with_cert = d.client(Some(&console.identity));
    assert_eq!(d.post(&with_cert, "g1", body()).await, Ok((202, "".into())));
    let cmd = tokio::time::timeout(Duration::from_secs(5), d.commands[0].recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((cmd.officer.as_str(), cmd.role), ("olga", Role::Officer));
    let audited = d.commands_audited();
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["data"]["via"], "gate_api");
    assert_eq!(
        audited[0]["data"]["console"],
        tls::fingerprint(&console.der).as_str()
    );
    drop(link);
    d.stop().await;
}

/// Over the mutual-TLS connection of a console the CA signed, every way of naming another
/// officer is refused: the officer id in the body as before commands were signed (422); the
/// signed assertion with its officer changed (403, bad signature); an assertion that another
/// console (also signed by the CA) signed, sent on this console's connection (403); a role
/// that may not give the command (403); an assertion for another gate (403); a replay (409).
/// Only the one genuine command reaches the gate and its audit trail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_officer_id_is_refused() {
    let pki = TestPki::new();
    let mut d = gate_daemon(&["g1", "g2"], Some(&pki)).await;
    let console = pki.console("console-1");
    let other = pki.console("console-2");
    let client = d.client(Some(&console.identity));
    let b64 = base64::engine::general_purpose::STANDARD;

    // 1. The officer in the request body, unsigned.
    let plain = r#"{"officer":"sam","role":"supervisor","action":"reset","comment":null}"#;
    assert_eq!(
        d.post(&client, "g1", plain.into()).await,
        Ok((422, "bad_json".into()))
    );
    // 2. A genuine assertion with its officer (and then its role) changed after signing.
    let genuine: SignedCommand =
        serde_json::from_str(&console.signed("g1", "olga", Role::Officer, OfficerCommand::Refer))
            .unwrap();
    let json = String::from_utf8(b64.decode(&genuine.assertion).unwrap()).unwrap();
    for forged in [
        json.replace("\"olga\"", "\"sam\""),
        json.replace("\"role\":\"officer\"", "\"role\":\"supervisor\""),
    ] {
        assert_ne!(forged, json);
        let f = SignedCommand {
            assertion: b64.encode(forged.as_bytes()),
            ..genuine.clone()
        };
        assert_eq!(
            d.post(&client, "g1", serde_json::to_string(&f).unwrap())
                .await,
            Ok((403, "bad_signature".into())),
            "{forged}"
        );
    }
    // 3. Another console's signature on this console's connection.
    let theirs = other.signed("g1", "sam", Role::Supervisor, OfficerCommand::Reset);
    assert_eq!(
        d.post(&client, "g1", theirs).await,
        Ok((403, "bad_signature".into()))
    );
    // 4. A role that may not: a technician's refer, an officer's reset.
    for (role, action) in [
        (Role::Technician, OfficerCommand::Refer),
        (Role::Officer, OfficerCommand::Reset),
    ] {
        let body = console.signed("g1", "tim", role, action);
        assert_eq!(
            d.post(&client, "g1", body).await,
            Ok((403, "forbidden".into())),
            "{role:?} {action:?}"
        );
    }
    // 5. An assertion for gate g2, sent to g1.
    let body = console.signed("g2", "olga", Role::Officer, OfficerCommand::Refer);
    assert_eq!(
        d.post(&client, "g1", body).await,
        Ok((403, "wrong_gate".into()))
    );
    // 6. The genuine one passes once; the same bytes again are a replay.
    let body = serde_json::to_string(&genuine).unwrap();
    assert_eq!(
        d.post(&client, "g1", body.clone()).await,
        Ok((202, "".into()))
    );
    assert_eq!(
        d.post(&client, "g1", body).await,
        Ok((409, "replayed_assertion".into()))
    );
    let cmd = tokio::time::timeout(Duration::from_secs(5), d.commands[0].recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (cmd.officer.as_str(), cmd.role, cmd.action),
        ("olga", Role::Officer, OfficerCommand::Refer)
    );
    assert!(
        d.commands[0].try_recv().is_err(),
        "a forged command reached the gate"
    );
    let audited = d.commands_audited();
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0]["data"]["officer"], "olga");
    assert_eq!(audited[0]["data"]["role"], "officer");
    d.stop().await;
}
