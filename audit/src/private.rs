//! Files that only their owner may read: keys, tokens, accounts, one-time passwords.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Writes `bytes` to `path` as a file readable and writable by its owner only (mode 0600),
/// replacing any file there.
///
/// The bytes go to a new temporary file in the same directory, created 0600 (so they are
/// never readable by others, not even for a moment), synced, then renamed over `path`: a
/// reader sees the old file or the whole new one, never a part, and an existing file's
/// looser mode is not kept. The directory is synced so the rename survives a crash. The
/// directory must exist.
pub fn private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a file name", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".{}-{:016x}.tmp",
        std::process::id(),
        rand::random::<u64>()
    ));
    let tmp = dir.join(tmp_name);
    let written = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_is_owner_only_and_holds_the_bytes() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("token");
        private_file(&p, b"secret\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"secret\n");
        assert_eq!(mode(&p), 0o600);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_existing_readable_file_is_replaced_by_a_private_one() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("users.toml");
        std::fs::write(&p, b"old, and longer than the new content").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        private_file(&p, b"new").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(mode(&p), 0o600);
    }

    #[test]
    fn a_missing_directory_is_an_error_and_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("absent/key");
        assert_eq!(
            private_file(&p, b"x").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert!(private_file(Path::new("/"), b"x").is_err());
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }
}
