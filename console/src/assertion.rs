//! The officer assertion: what a console signs into each command it sends to a gate's API, so
//! that the gate acts on (and audits) the officer and role the console authenticated, never
//! on an id that a request body names.
//!
//! The console signs with the private key of its client certificate, the one it presents in
//! the TLS handshake (mutual TLS, RFC 8446 §4.4.2); the gate verifies the signature with the
//! public key of the certificate presented on the same connection, which the handshake has
//! already checked against `[console] gate_api_client_ca_file`. The signed bytes are
//! [`CONTEXT`] followed by the assertion's JSON exactly as sent: a TLS CertificateVerify
//! (whose context strings are those of RFC 8446 §4.4.3) can never pass for an assertion, nor an
//! assertion for a CertificateVerify.
//!
//! An assertion names its gate, its action, when it was issued and a nonce: another gate
//! refuses it, an assertion more than [`MAX_AGE`] from the gate's clock is refused, and the
//! same assertion is refused a second time.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine;
use gate::OfficerCommand;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::SigningKey;
use rustls::SignatureScheme;
use serde::{Deserialize, Serialize};

use crate::auth::{self, Role};
use crate::ConsoleError;

/// Prefix of the signed bytes (then the assertion's JSON).
pub const CONTEXT: &[u8] = b"egate officer assertion v1\0";
/// The most an assertion's time of issue may differ from the gate's clock, either way.
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// Nonces the gate remembers at most (each for twice [`MAX_AGE`]); beyond, commands are
/// refused as busy rather than forgetting a nonce that could still be replayed.
pub const MAX_NONCES: usize = 16_384;

/// What the console asserts about a command: who, in which role, asks which gate for what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assertion {
    /// The officer's id, as the console authenticated them.
    pub officer: String,
    /// Their role.
    pub role: Role,
    /// The gate the command is for.
    pub gate: String,
    /// The command.
    pub action: OfficerCommand,
    /// The officer's comment.
    pub comment: Option<String>,
    /// When the console issued it, Unix milliseconds.
    pub issued_ms: u64,
    /// 16 random bytes, hex.
    pub nonce: String,
}

/// The body of `POST /gate-api/v1/gates/{gate}/commands`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCommand {
    /// The [`Assertion`]'s JSON, base64 (standard alphabet, padded).
    pub assertion: String,
    /// [`Scheme`] name.
    pub scheme: String,
    /// The signature over [`CONTEXT`] and the assertion's JSON, base64.
    pub signature: String,
}

/// The signature schemes of an assertion (those of the key types a console certificate may
/// have).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// ECDSA over P-256 with SHA-256, DER-encoded signature (RFC 8446 §4.2.3
    /// `ecdsa_secp256r1_sha256`).
    EcdsaP256Sha256,
    /// Ed25519 (RFC 8032).
    Ed25519,
}

impl Scheme {
    const ALL: [Scheme; 2] = [Scheme::EcdsaP256Sha256, Scheme::Ed25519];

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::EcdsaP256Sha256 => "ecdsa_p256_sha256",
            Scheme::Ed25519 => "ed25519",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    fn tls(self) -> SignatureScheme {
        match self {
            Scheme::EcdsaP256Sha256 => SignatureScheme::ECDSA_NISTP256_SHA256,
            Scheme::Ed25519 => SignatureScheme::ED25519,
        }
    }

    fn verifier(self) -> &'static dyn rustls::pki_types::SignatureVerificationAlgorithm {
        match self {
            Scheme::EcdsaP256Sha256 => webpki::ring::ECDSA_P256_SHA256,
            Scheme::Ed25519 => webpki::ring::ED25519,
        }
    }
}

/// A console's client certificate (chain, leaf first) and its private key: what it presents
/// to gates and signs assertions with.
pub struct ConsoleIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    signer: Arc<dyn SigningKey>,
    scheme: Scheme,
}

impl std::fmt::Debug for ConsoleIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleIdentity")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl ConsoleIdentity {
    /// Loads a PEM certificate chain and its PEM private key; the key file must be its
    /// owner's alone ([`audit::check_secret_file`]).
    pub fn load(cert: &Path, key: &Path) -> Result<Self, ConsoleError> {
        let tls = |path: &Path, reason: String| {
            ConsoleError::Tls(format!("{}: {reason}", path.display()))
        };
        audit::check_secret_file(key, audit::Exposure::OwnerOnly).map_err(|r| tls(key, r))?;
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .map_err(|e| tls(cert, e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| tls(cert, e.to_string()))?;
        let der = PrivateKeyDer::from_pem_file(key).map_err(|e| tls(key, e.to_string()))?;
        Self::from_der(chain, der).map_err(|e| tls(key, e))
    }

    /// The identity from DER values (leaf first).
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, String> {
        if chain.is_empty() {
            return Err("no certificate".into());
        }
        let signer = rustls::crypto::ring::sign::any_supported_type(&key)
            .map_err(|e| format!("unusable private key: {e}"))?;
        let scheme = Scheme::ALL
            .into_iter()
            .find(|s| signer.choose_scheme(&[s.tls()]).is_some())
            .ok_or("the key must be ECDSA P-256 or Ed25519")?;
        Ok(Self {
            chain,
            key,
            signer,
            scheme,
        })
    }

    /// The certificate chain and a copy of the key, for a TLS client configuration.
    pub fn client_auth(&self) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        (self.chain.clone(), self.key.clone_key())
    }

    /// Signs an assertion.
    pub fn sign(&self, a: &Assertion) -> Result<SignedCommand, String> {
        let json = serde_json::to_vec(a).map_err(|e| e.to_string())?;
        let signer = self
            .signer
            .choose_scheme(&[self.scheme.tls()])
            .ok_or("the key cannot sign")?;
        let sig = signer
            .sign(&signed_bytes(&json))
            .map_err(|e| e.to_string())?;
        let b64 = base64::engine::general_purpose::STANDARD;
        Ok(SignedCommand {
            assertion: b64.encode(&json),
            scheme: self.scheme.as_str().into(),
            signature: b64.encode(sig),
        })
    }
}

fn signed_bytes(json: &[u8]) -> Vec<u8> {
    [CONTEXT, json].concat()
}

/// Why a gate refuses a command's assertion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// No client certificate on the connection.
    #[error("commands are taken over mutual TLS only: present a console certificate signed by the gate's gate_api_client_ca_file")]
    NoCertificate,
    /// The envelope does not decode.
    #[error("the command is not a signed officer assertion: {0}")]
    Malformed(String),
    /// A scheme other than [`Scheme`]'s.
    #[error("signature scheme {0:?}: use ecdsa_p256_sha256 or ed25519")]
    Scheme(String),
    /// The signature is not that of the connection's certificate over these bytes.
    #[error(
        "the assertion's signature does not verify under the client certificate of this connection"
    )]
    Signature,
    /// An officer id that cannot be one.
    #[error("officer id: 1-64 of [A-Za-z0-9._-]")]
    Officer,
    /// Meant for another gate.
    #[error("the assertion is for another gate")]
    OtherGate,
    /// The role may not give this command.
    #[error("a {role} may not give the command {action}")]
    Role {
        /// The asserted role.
        role: &'static str,
        /// The command.
        action: String,
    },
    /// Issued too long before or after the gate's clock.
    #[error("the assertion was issued {0} ms from the gate's clock (at most 30000 either way)")]
    Age(i64),
    /// Seen before.
    #[error("the assertion was used before")]
    Replayed,
    /// Too many nonces remembered.
    #[error("too many commands at once; try again")]
    Busy,
}

impl Refusal {
    /// The HTTP status and stable error code of the refusal.
    pub fn status(&self) -> (StatusCode, &'static str) {
        match self {
            Refusal::NoCertificate => (StatusCode::FORBIDDEN, "client_certificate_required"),
            Refusal::Malformed(_) | Refusal::Scheme(_) | Refusal::Officer => {
                (StatusCode::UNPROCESSABLE_ENTITY, "bad_assertion")
            }
            Refusal::Signature => (StatusCode::FORBIDDEN, "bad_signature"),
            Refusal::OtherGate => (StatusCode::FORBIDDEN, "wrong_gate"),
            Refusal::Role { .. } => (StatusCode::FORBIDDEN, "forbidden"),
            Refusal::Age(_) => (StatusCode::FORBIDDEN, "stale_assertion"),
            Refusal::Replayed => (StatusCode::CONFLICT, "replayed_assertion"),
            Refusal::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        }
    }
}

/// The gate's side: checks signed commands and remembers their nonces.
#[derive(Debug, Default)]
pub struct Verifier {
    /// Nonce → its assertion's time of issue.
    seen: Mutex<HashMap<String, u64>>,
}

impl Verifier {
    /// Checks `cmd`, received for gate `gate` on a connection whose client certificate is
    /// `cert` (DER; `None` without one), at `now_ms`: the signature, then what it asserts.
    /// Only an accepted assertion's nonce is remembered.
    pub fn accept(
        &self,
        cmd: &SignedCommand,
        cert: Option<&[u8]>,
        gate: &str,
        now_ms: u64,
    ) -> Result<Assertion, Refusal> {
        let cert = cert.ok_or(Refusal::NoCertificate)?;
        let a = verify_signature(cmd, cert)?;
        if !auth::valid_id(&a.officer) {
            return Err(Refusal::Officer);
        }
        if a.nonce.len() != 32 || !a.nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Refusal::Malformed("nonce: 32 hex digits".into()));
        }
        if a.gate != gate {
            return Err(Refusal::OtherGate);
        }
        if !auth::may_command(a.role, a.action) {
            return Err(Refusal::Role {
                role: a.role.as_str(),
                action: serde_json::to_value(a.action)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            });
        }
        let skew = a.issued_ms as i128 - now_ms as i128;
        let max = MAX_AGE.as_millis() as i128;
        if skew.abs() > max {
            return Err(Refusal::Age(
                skew.clamp(i64::MIN as i128, i64::MAX as i128) as i64
            ));
        }
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains_key(&a.nonce) {
            return Err(Refusal::Replayed);
        }
        // A nonce older than twice the window cannot pass the age check again.
        if seen.len() >= MAX_NONCES {
            seen.retain(|_, issued| (*issued as i128) >= now_ms as i128 - 2 * max);
        }
        if seen.len() >= MAX_NONCES {
            return Err(Refusal::Busy);
        }
        seen.insert(a.nonce.clone(), a.issued_ms);
        Ok(a)
    }
}

/// The assertion, if `cmd`'s signature verifies under `cert`'s public key.
fn verify_signature(cmd: &SignedCommand, cert: &[u8]) -> Result<Assertion, Refusal> {
    let b64 = base64::engine::general_purpose::STANDARD;
    // Bytes that do not decode cannot carry a valid signature: refused like a wrong one.
    let json = b64.decode(&cmd.assertion).map_err(|_| Refusal::Signature)?;
    let sig = b64.decode(&cmd.signature).map_err(|_| Refusal::Signature)?;
    let scheme = Scheme::from_name(&cmd.scheme)
        .ok_or_else(|| Refusal::Scheme(cmd.scheme.chars().take(32).collect()))?;
    let der = CertificateDer::from(cert);
    let ee = webpki::EndEntityCert::try_from(&der).map_err(|_| Refusal::Signature)?;
    ee.verify_signature(scheme.verifier(), &signed_bytes(&json), &sig)
        .map_err(|_| Refusal::Signature)?;
    // Parsed only once signed: nothing unsigned reaches the gate.
    serde_json::from_slice(&json).map_err(|e| Refusal::Malformed(format!("assertion: {e}")))
}

/// 16 random bytes as hex, for [`Assertion::nonce`].
pub fn nonce() -> String {
    let mut b = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    hex::encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> (ConsoleIdentity, Vec<u8>) {
        let ck = rcgen::generate_simple_self_signed(vec!["console".to_string()]).unwrap();
        let der = ck.cert.der().to_vec();
        let key = PrivateKeyDer::try_from(ck.key_pair.serialize_der()).unwrap();
        (
            ConsoleIdentity::from_der(vec![ck.cert.der().clone()], key).unwrap(),
            der,
        )
    }

    fn assertion(now: u64) -> Assertion {
        Assertion {
            officer: "olga".into(),
            role: Role::Officer,
            gate: "g1".into(),
            action: OfficerCommand::Refer,
            comment: None,
            issued_ms: now,
            nonce: nonce(),
        }
    }

    #[test]
    fn a_signed_assertion_is_accepted_once_and_only_by_its_gate() {
        let (id, cert) = identity();
        let v = Verifier::default();
        let a = assertion(1_000_000);
        let cmd = id.sign(&a).unwrap();
        assert_eq!(
            v.accept(&cmd, Some(&cert), "g2", 1_000_000),
            Err(Refusal::OtherGate)
        );
        assert_eq!(v.accept(&cmd, Some(&cert), "g1", 1_000_000), Ok(a));
        assert_eq!(
            v.accept(&cmd, Some(&cert), "g1", 1_000_001),
            Err(Refusal::Replayed)
        );
        assert_eq!(
            v.accept(&cmd, None, "g1", 1_000_000),
            Err(Refusal::NoCertificate)
        );
    }

    #[test]
    fn a_changed_officer_role_or_time_breaks_the_signature() {
        let (id, cert) = identity();
        let v = Verifier::default();
        let cmd = id.sign(&assertion(5_000_000)).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD;
        let json = String::from_utf8(b64.decode(&cmd.assertion).unwrap()).unwrap();
        for forged in [
            json.replace("\"olga\"", "\"sam\""),
            json.replace("\"officer\",\"gate\"", "\"supervisor\",\"gate\""),
            json.replace("5000000", "5000001"),
        ] {
            assert_ne!(forged, json);
            let mut f = cmd.clone();
            f.assertion = b64.encode(forged.as_bytes());
            assert_eq!(
                v.accept(&f, Some(&cert), "g1", 5_000_000),
                Err(Refusal::Signature),
                "{forged}"
            );
        }
        // The same assertion signed by another console's key, on this console's connection.
        let (other, other_cert) = identity();
        let a = assertion(5_000_000);
        let theirs = other.sign(&a).unwrap();
        assert_eq!(
            v.accept(&theirs, Some(&cert), "g1", 5_000_000),
            Err(Refusal::Signature)
        );
        assert!(v
            .accept(&theirs, Some(&other_cert), "g1", 5_000_000)
            .is_ok());
    }

    #[test]
    fn roles_ages_and_malformed_envelopes_are_refused() {
        let (id, cert) = identity();
        let v = Verifier::default();
        let now = 10_000_000;
        let mut a = assertion(now);
        a.role = Role::Technician;
        let r = v.accept(&id.sign(&a).unwrap(), Some(&cert), "g1", now);
        assert!(matches!(r, Err(Refusal::Role { .. })), "{r:?}");
        let mut a = assertion(now);
        a.role = Role::Officer;
        a.action = OfficerCommand::Reset;
        let r = v.accept(&id.sign(&a).unwrap(), Some(&cert), "g1", now);
        assert!(matches!(r, Err(Refusal::Role { .. })), "{r:?}");
        for issued in [now - 30_001, now + 30_001] {
            let r = v.accept(
                &id.sign(&assertion(issued)).unwrap(),
                Some(&cert),
                "g1",
                now,
            );
            assert!(matches!(r, Err(Refusal::Age(_))), "{r:?}");
        }
        let r = v.accept(
            &id.sign(&assertion(now - 30_000)).unwrap(),
            Some(&cert),
            "g1",
            now,
        );
        assert!(r.is_ok(), "{r:?}");
        let mut a = assertion(now);
        a.officer = "../root".into();
        let r = v.accept(&id.sign(&a).unwrap(), Some(&cert), "g1", now);
        assert_eq!(r, Err(Refusal::Officer));
        let good = id.sign(&assertion(now)).unwrap();
        let mut bad = good.clone();
        bad.scheme = "rsa_pkcs1_sha1".into();
        assert!(matches!(
            v.accept(&bad, Some(&cert), "g1", now),
            Err(Refusal::Scheme(_))
        ));
        for (assertion, signature) in [
            (good.assertion.as_str(), "%%%"),
            ("*", good.signature.as_str()),
        ] {
            let bad = SignedCommand {
                assertion: assertion.into(),
                signature: signature.into(),
                ..good.clone()
            };
            assert_eq!(
                v.accept(&bad, Some(&cert), "g1", now),
                Err(Refusal::Signature)
            );
        }
        // A certificate that is not DER.
        assert_eq!(
            v.accept(&good, Some(b"not a certificate"), "g1", now),
            Err(Refusal::Signature)
        );
        // An assertion with a field the gate does not know, signed: refused as malformed.
        let b64 = base64::engine::general_purpose::STANDARD;
        let json = String::from_utf8(b64.decode(&good.assertion).unwrap()).unwrap();
        let extra = json.replacen('{', "{\"as\":\"sam\",", 1);
        let signer = id.signer.choose_scheme(&[id.scheme.tls()]).unwrap();
        let sig = signer.sign(&signed_bytes(extra.as_bytes())).unwrap();
        let cmd = SignedCommand {
            assertion: b64.encode(extra.as_bytes()),
            scheme: good.scheme.clone(),
            signature: b64.encode(sig),
        };
        assert!(matches!(
            v.accept(&cmd, Some(&cert), "g1", now),
            Err(Refusal::Malformed(_))
        ));
    }
}
