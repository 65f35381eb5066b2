//! Secret files: the audit trail's MAC key, and the owner and mode check every secret file
//! (keys, tokens, accounts) passes before the daemon uses it.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::AuditError;

/// Who may touch a secret file besides its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Nobody: no bit for group or others (keys, tokens).
    OwnerOnly,
    /// Group and others may read but not write (an accounts file of password hashes).
    NoForeignWrite,
}

/// Checks that `path` is a regular file owned by this process's effective user (or root)
/// whose mode allows no more than `exposure`: a file someone else may write could hold a key
/// they chose, and a key someone else may read lets them forge what it protects.
pub fn check_secret_file(path: &Path, exposure: Exposure) -> Result<(), String> {
    let md = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !md.is_file() {
        return Err("is not a regular file".into());
    }
    let me = rustix::process::geteuid().as_raw();
    if md.uid() != me && md.uid() != 0 {
        return Err(format!(
            "is owned by uid {}, not by this process's user (uid {me}) or root",
            md.uid()
        ));
    }
    let mode = md.permissions().mode() & 0o777;
    let forbidden = match exposure {
        Exposure::OwnerOnly => 0o077,
        Exposure::NoForeignWrite => 0o022,
    };
    if mode & forbidden != 0 {
        return Err(format!(
            "has mode {mode:04o}; group and others must have no {} (chmod {:04o})",
            if exposure == Exposure::OwnerOnly {
                "access"
            } else {
                "write access"
            },
            mode & !forbidden
        ));
    }
    Ok(())
}

/// The key of the audit trail's MACs (HMAC-SHA-256), at least 32 bytes.
pub struct AuditKey {
    key: Zeroizing<Vec<u8>>,
}

impl AuditKey {
    /// Loads the key file after [`check_secret_file`] (owner only), creating it (32 random
    /// bytes, a [`crate::private_file`]) if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, AuditError> {
        let err = |reason: String| AuditError::Key {
            path: path.to_path_buf(),
            reason,
        };
        if !path.exists() {
            use rand::RngCore;
            let mut key = Zeroizing::new(vec![0u8; 32]);
            rand::rngs::OsRng.fill_bytes(&mut key);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
            }
            crate::private_file(path, &key).map_err(|e| err(e.to_string()))?;
        }
        Self::load(path)
    }

    /// Loads an existing key file after [`check_secret_file`] (owner only).
    pub fn load(path: &Path) -> Result<Self, AuditError> {
        let err = |reason: String| AuditError::Key {
            path: path.to_path_buf(),
            reason,
        };
        check_secret_file(path, Exposure::OwnerOnly).map_err(err)?;
        let k = Zeroizing::new(std::fs::read(path).map_err(|e| err(e.to_string()))?);
        if k.len() < 32 {
            return Err(err(format!(
                "holds {} bytes; at least 32 are needed",
                k.len()
            )));
        }
        Ok(Self { key: k })
    }

    /// A key from bytes (tests, benchmarks).
    pub fn from_bytes(key: &[u8]) -> Self {
        Self {
            key: Zeroizing::new(key.to_vec()),
        }
    }

    /// HMAC-SHA-256 of `parts` concatenated, as 64 lower-case hex digits.
    pub(crate) fn mac_hex(&self, parts: &[&[u8]]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC takes keys of any length");
        for p in parts {
            mac.update(p);
        }
        hex::encode(mac.finalize().into_bytes())
    }
}

impl Clone for AuditKey {
    fn clone(&self) -> Self {
        Self::from_bytes(&self.key)
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_mode(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn a_key_is_created_private_and_a_readable_or_short_one_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k/audit-mac.key");
        let a = AuditKey::load_or_create(&p).unwrap();
        let b = AuditKey::load_or_create(&p).unwrap();
        assert_eq!(a.mac_hex(&[b"x"]), b.mac_hex(&[b"x"]));
        set_mode(&p, 0o640);
        let e = AuditKey::load(&p).unwrap_err().to_string();
        assert!(e.contains("mode 0640"), "{e}");
        set_mode(&p, 0o600);
        std::fs::write(&p, b"short").unwrap();
        assert!(AuditKey::load(&p).unwrap_err().to_string().contains("32"));
    }

    #[test]
    fn foreign_write_is_refused_for_accounts_but_reading_is_allowed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("users.toml");
        std::fs::write(&p, b"").unwrap();
        set_mode(&p, 0o644);
        assert!(check_secret_file(&p, Exposure::NoForeignWrite).is_ok());
        assert!(check_secret_file(&p, Exposure::OwnerOnly).is_err());
        set_mode(&p, 0o664);
        assert!(check_secret_file(&p, Exposure::NoForeignWrite).is_err());
        assert!(check_secret_file(d.path(), Exposure::NoForeignWrite).is_err());
    }
}
