//! The trust anchors of a gate (`[pki]`), loaded the same way by `egate run` and by the
//! technician's `egate doc` tools: CSCA and link certificates (files or folders), master lists
//! verified against them, and CRLs.

use std::path::Path;

use document::pki::{CscaStore, MasterList, MasterListSignature};

/// The trust anchors of a gate (`[pki]`): CSCA and link certificates (files or folders),
/// master lists verified against them (never trusted on their own signature alone), CRLs.
/// Returns the store and one line per source for the log. Any unreadable or unverified
/// source is an error: a gate must not start with less trust data than it was given.
pub fn load_trust(
    cscas: &[std::path::PathBuf],
    masterlists: &[std::path::PathBuf],
    crls: &[std::path::PathBuf],
) -> Result<(CscaStore, Vec<String>), String> {
    trust(cscas, masterlists, crls, false)
}

/// [`load_trust`], where `self_contained` also accepts a master list whose signer chains to
/// a CSCA inside the list itself (a technician's tool may; a gate may not).
pub fn trust(
    cscas: &[std::path::PathBuf],
    masterlists: &[std::path::PathBuf],
    crls: &[std::path::PathBuf],
    self_contained: bool,
) -> Result<(CscaStore, Vec<String>), String> {
    let mut store = CscaStore::new();
    let mut notes = Vec::new();
    for p in cscas {
        load_anchor(&mut store, p, &mut notes)?;
    }
    for p in masterlists {
        load_masterlist(&mut store, p, &mut notes, self_contained)?;
    }
    for p in crls {
        let crl = store
            .add_crl(&read(p)?)
            .map_err(|e| format!("{}: {e}", p.display()))?;
        notes.push(format!(
            "{}: CRL of {} with {} revoked serial(s)",
            p.display(),
            crl.issuer(),
            crl.revoked_count()
        ));
    }
    Ok((store, notes))
}

/// Reads a trust file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn load_anchor(
    store: &mut CscaStore,
    path: &Path,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    if path.is_dir() {
        let n = store
            .add_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        notes.push(format!("{}: {n} certificate(s)", path.display()));
    } else {
        let n = store
            .add_der_or_pem(&read(path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        notes.push(format!("{}: {n} certificate(s)", path.display()));
    }
    Ok(())
}

/// Adds a master list to the store: verified against the anchors already loaded, else
/// against a CSCA inside the list (self-contained trust, reported).
pub fn load_masterlist(
    store: &mut CscaStore,
    path: &Path,
    notes: &mut Vec<String>,
    self_contained: bool,
) -> Result<(), String> {
    let ml = MasterList::from_der(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    match store.add_master_list(&ml, &[]) {
        Ok((n, MasterListSignature::Verified { csca, .. })) => {
            notes.push(format!(
                "{}: {n} certificate(s), signer verified against {csca}",
                path.display()
            ));
        }
        Ok((n, _)) => notes.push(format!("{}: {n} certificate(s)", path.display())),
        Err(why) if !self_contained => {
            return Err(format!(
                "{}: master list not verified against the configured CSCA certificates: {why:?}",
                path.display()
            ))
        }
        Err(_) => match ml.verify(&ml.certificates) {
            MasterListSignature::Verified { csca, .. } => {
                let n = ml
                    .certificates
                    .iter()
                    .filter(|c| store.add_certificate((*c).clone()))
                    .count();
                notes.push(format!(
                    "{}: {n} certificate(s), signer verified against {csca} from the list itself (no external anchor)",
                    path.display()
                ));
            }
            other => {
                return Err(format!(
                    "{}: master list not verified: {other:?}",
                    path.display()
                ))
            }
        },
    }
    Ok(())
}
