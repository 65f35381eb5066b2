//! The keyed pseudonym that stands in for a document number in the trail.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::AuditError;

/// Keyed pseudonyms of documents: HMAC-SHA-256 under a site key, so the trail can link the
/// records of one document without holding its number, and nobody without the key can test a
/// guessed number against it.
pub struct Pseudonymizer {
    key: Zeroizing<Vec<u8>>,
}

impl Pseudonymizer {
    /// Loads the key file, creating it (32 random bytes, a [`crate::private_file`]) if it does
    /// not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, AuditError> {
        let err = |reason: String| AuditError::Key {
            path: path.to_path_buf(),
            reason,
        };
        if path.exists() {
            crate::check_secret_file(path, crate::Exposure::OwnerOnly).map_err(err)?;
        }
        match std::fs::read(path) {
            Ok(k) if k.len() >= 32 => Ok(Self {
                key: Zeroizing::new(k),
            }),
            Ok(k) => Err(err(format!(
                "holds {} bytes; at least 32 are needed",
                k.len()
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                use rand::RngCore;
                let mut key = Zeroizing::new(vec![0u8; 32]);
                rand::rngs::OsRng.fill_bytes(&mut key);
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
                }
                crate::private_file(path, &key).map_err(|e| err(e.to_string()))?;
                Ok(Self { key })
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// A key from bytes (tests, and keys held in an HSM-backed store by the caller).
    pub fn from_key(key: &[u8]) -> Self {
        Self {
            key: Zeroizing::new(key.to_vec()),
        }
    }

    /// The pseudonym of a document: 128 bits of HMAC-SHA-256(key, state ‖ 0x00 ‖ number), hex.
    pub fn pseudonym(&self, issuing_state: &str, document_number: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC takes keys of any length");
        mac.update(issuing_state.as_bytes());
        mac.update(&[0]);
        mac.update(document_number.as_bytes());
        let tag = mac.finalize().into_bytes();
        format!("doc-{}", hex::encode(&tag[..16]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_keyed_and_stable() {
        let a = Pseudonymizer::from_key(&[1; 32]);
        let b = Pseudonymizer::from_key(&[2; 32]);
        let pa = a.pseudonym("UTO", "L898902C3");
        assert_eq!(pa, a.pseudonym("UTO", "L898902C3"));
        assert_ne!(pa, b.pseudonym("UTO", "L898902C3"));
        assert_ne!(pa, a.pseudonym("UTO", "L898902C4"));
        assert!(!pa.contains("L898902C3"));
        assert_eq!(pa.len(), 4 + 32);
    }

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let k = d.path().join("keys/pseudonym.key");
        let p1 = Pseudonymizer::load_or_create(&k)
            .unwrap()
            .pseudonym("D", "C01X00T47");
        let mode = std::fs::metadata(&k).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let p2 = Pseudonymizer::load_or_create(&k)
            .unwrap()
            .pseudonym("D", "C01X00T47");
        assert_eq!(p1, p2);
        std::fs::write(&k, b"short").unwrap();
        assert!(matches!(
            Pseudonymizer::load_or_create(&k),
            Err(AuditError::Key { .. })
        ));
    }
}
