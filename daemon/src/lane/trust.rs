//! The trust anchors of a gate (`[pki]`), loaded the same way by `egate run`, `egate pki` and
//! the technician's `egate doc` tools: CSCA and link certificates (files or folders), master
//! lists verified against a CSCA or a master-list signer anchor, CRLs, deviation lists
//! (ICAO 9303-12 §10), and the trust store that `egate pki` imports into (`[pki] store_dir`).
//!
//! A running gate holds its anchors in a [`Trust`]: the jobs take the current store for each
//! passage, and [`watch`] swaps in a new one when a trust file changes (ICAO 9303-12 §7.1.4:
//! CRLs are reissued at least every 90 days, so a gate must take them without a restart).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use document::pki::{Certificate, CrlFreshness, CscaStore, MasterList, MasterListSignature};
use tracing::{info, warn};

use crate::config::devices::{CrlStaleAction, PkiConfig};

/// Subfolders of the trust store (`[pki] store_dir`).
pub const STORE_MASTER_LISTS: &str = "masterlists";
/// CRLs in the trust store.
pub const STORE_CRLS: &str = "crls";
/// Deviation lists in the trust store.
pub const STORE_DEVIATION_LISTS: &str = "deviation-lists";
/// Master-list signer anchors in the trust store (those given to `egate pki
/// import-masterlist --signer-anchor`), so that a reload verifies the lists again.
pub const STORE_SIGNER_ANCHORS: &str = "signer-anchors";

/// The technician's trust anchors: CSCA and link certificates (files or folders), master lists
/// verified against them, CRLs; with `self_contained`, a master list whose signer chains to a
/// CSCA inside the list itself is accepted too (a technician's tool may; a gate may not, see
/// [`load_config`]).
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
        load_crl(&mut store, p, &mut notes)?;
    }
    Ok((store, notes))
}

/// Everything `[pki]` names, store included, on top of `base` (the simulator's test PKI, or
/// nothing): CSCA files, then master lists verified against the CSCAs and the master-list
/// signer anchors, then CRLs and deviation lists verified against the result. Any bad file
/// is an error naming it.
pub fn load_config(
    pki: &PkiConfig,
    base: Option<&CscaStore>,
) -> Result<(CscaStore, Vec<String>), String> {
    let mut store = base.cloned().unwrap_or_default();
    let mut notes = Vec::new();
    for p in &pki.csca {
        load_anchor(&mut store, p, &mut notes)?;
    }
    let mut signers = Vec::new();
    for p in pki
        .master_list_signers
        .iter()
        .cloned()
        .chain(store_files(pki, STORE_SIGNER_ANCHORS)?)
    {
        signers.push(read_certificate(&p)?);
    }
    for p in pki
        .master_lists
        .iter()
        .cloned()
        .chain(store_files(pki, STORE_MASTER_LISTS)?)
    {
        add_masterlist(&mut store, &p, &signers, &mut notes)?;
    }
    for p in pki
        .crls
        .iter()
        .cloned()
        .chain(store_files(pki, STORE_CRLS)?)
    {
        load_crl(&mut store, &p, &mut notes)?;
    }
    for p in pki
        .deviation_lists
        .iter()
        .cloned()
        .chain(store_files(pki, STORE_DEVIATION_LISTS)?)
    {
        load_deviation_list(&mut store, &p, &mut notes)?;
    }
    Ok((store, notes))
}

/// Adds a deviation list to the store after checking its signer against the CSCAs in it
/// (ICAO 9303-12 §10); the error names the file and the field.
pub fn load_deviation_list(
    store: &mut CscaStore,
    path: &Path,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let list = store
        .add_deviation_list(&read(path)?, SystemTime::now())
        .map_err(|e| format!("{}: deviation list refused: {e}", path.display()))?;
    notes.push(format!(
        "{}: deviation list {} of {} with {} deviation(s), signer verified against {}",
        path.display(),
        list.list.id,
        list.country,
        list.list.deviations.len(),
        list.csca
    ));
    Ok(())
}

/// The files in one folder of the trust store, sorted (temporary files of an atomic write,
/// which start with a dot, are skipped). No store, or no such folder yet: none.
pub fn store_files(pki: &PkiConfig, sub: &str) -> Result<Vec<PathBuf>, String> {
    if pki.store_dir.as_os_str().is_empty() {
        return Ok(Vec::new());
    }
    let dir = pki.store_dir.join(sub);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Reads a trust file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads one certificate (DER or PEM), naming the file in the error.
pub fn read_certificate(path: &Path) -> Result<Certificate, String> {
    Certificate::from_der_or_pem(&read(path)?)
        .map_err(|e| format!("{}: Certificate: {e}", path.display()))
}

/// Adds the CSCA or link certificates of a file or folder to the store.
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

/// Adds a CRL to the store after checking its signature against the CSCAs in it.
pub fn load_crl(store: &mut CscaStore, path: &Path, notes: &mut Vec<String>) -> Result<(), String> {
    let crl = store
        .add_crl(&read(path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    notes.push(format!(
        "{}: CRL of {} with {} revoked serial(s)",
        path.display(),
        crl.issuer(),
        crl.revoked_count()
    ));
    Ok(())
}

/// Why a master list is refused, naming the field that failed.
pub fn refusal(why: &MasterListSignature) -> String {
    match why {
        // RFC 5652 §5.4: the messageDigest attribute binds the signature to the content.
        MasterListSignature::SignatureInvalid(d) if d.contains("messageDigest") => format!(
            "SignedData.signerInfos[0].signedAttrs.messageDigest: {d} (the list was altered after signing)"
        ),
        MasterListSignature::SignatureInvalid(d) => {
            format!("SignedData.signerInfos[0].signature: {d} (the list was altered or mis-signed)")
        }
        MasterListSignature::SignerNotTrusted(d) => format!(
            "SignedData.certificates (master-list signer): {d}, which is not a configured master-list signer anchor or CSCA"
        ),
        MasterListSignature::NotPossible(d) => format!("SignedData.signerInfos[0]: {d}"),
        other => format!("{other:?}"),
    }
}

/// Parses a master list and verifies it against the CSCAs in the store plus `signers` (the
/// master-list signer anchors); returns the list and how it verified, or why it is refused.
pub fn verify_masterlist(
    store: &CscaStore,
    path: &Path,
    signers: &[Certificate],
) -> Result<(MasterList, MasterListSignature), String> {
    let ml = MasterList::from_der(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut anchors = store.certificates().to_vec();
    anchors.extend_from_slice(signers);
    match ml.verify(&anchors) {
        v @ MasterListSignature::Verified { .. } => Ok((ml, v)),
        why => Err(format!(
            "{}: master list refused: {}",
            path.display(),
            refusal(&why)
        )),
    }
}

fn add_masterlist(
    store: &mut CscaStore,
    path: &Path,
    signers: &[Certificate],
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let (ml, _) = verify_masterlist(store, path, signers)?;
    match store.add_master_list(&ml, signers) {
        Ok((n, MasterListSignature::Verified { csca, .. })) => notes.push(format!(
            "{}: {n} certificate(s), signer verified against {csca}",
            path.display()
        )),
        Ok((n, _)) => notes.push(format!("{}: {n} certificate(s)", path.display())),
        Err(why) => {
            return Err(format!(
                "{}: master list refused: {}",
                path.display(),
                refusal(&why)
            ))
        }
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
                "{}: master list not verified against the configured CSCA certificates: {}",
                path.display(),
                refusal(&why)
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
                    "{}: master list not verified: {}",
                    path.display(),
                    refusal(&other)
                ))
            }
        },
    }
    Ok(())
}

/// The passage record of the deviations a chip check used: for each, the list (id and
/// country), the type and parameter, what it did to which check, and which criteria matched.
/// Never the document number.
pub fn deviation_record(uses: &[document::deviation::DeviationUse]) -> serde_json::Value {
    uses.iter()
        .map(|u| {
            serde_json::json!({
                "list": u.list,
                "country": u.country,
                "type": u.kind.as_str(),
                "parameter": u.parameter,
                "effect": u.effect.as_str(),
                "check": u.check,
                "matched_on": u.matched_on,
            })
        })
        .collect()
}

/// The trust anchors of a running gate: the current store, swapped whole on reload.
pub struct Trust {
    current: RwLock<Arc<CscaStore>>,
    pki: PkiConfig,
    base: Option<CscaStore>,
    last_error: Mutex<Option<String>>,
}

impl Trust {
    /// Loads `[pki]` on top of `base`; the error names the bad file.
    pub fn load(
        pki: &PkiConfig,
        base: Option<CscaStore>,
    ) -> Result<(Arc<Trust>, Vec<String>), String> {
        let (store, notes) = load_config(pki, base.as_ref())?;
        Ok((
            Arc::new(Trust {
                current: RwLock::new(Arc::new(store)),
                pki: pki.clone(),
                base,
                last_error: Mutex::new(None),
            }),
            notes,
        ))
    }

    /// A store that never reloads.
    #[cfg(test)]
    pub fn fixed(store: CscaStore) -> Arc<Trust> {
        Arc::new(Trust {
            current: RwLock::new(Arc::new(store)),
            pki: PkiConfig {
                reload_interval_s: 0.0,
                ..PkiConfig::default()
            },
            base: None,
            last_error: Mutex::new(None),
        })
    }

    /// The current store (a passage keeps the one it started its check with).
    pub fn store(&self) -> Arc<CscaStore> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Loads every trust file again; on success the new store replaces the current one, on
    /// failure the current one stays and the error (naming the file) is returned.
    pub fn reload(&self) -> Result<Vec<String>, String> {
        let result = load_config(&self.pki, self.base.as_ref());
        let mut last = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok((store, notes)) => {
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(store);
                *last = None;
                Ok(notes)
            }
            Err(e) => {
                *last = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The CRL verdict on a document whose signer passive authentication found: stale (past
    /// nextUpdate plus the grace) where `[pki]` says such documents are referred. Only the
    /// CRLs of the signer's issuer count; the newest decides (RFC 5280 §5.1.2.4, 9303-12
    /// §7.1.4).
    pub fn crl_stale_refers(
        &self,
        store: &CscaStore,
        ds_issuer: &str,
        csca_country: Option<&str>,
        now: SystemTime,
    ) -> bool {
        let newest = store
            .crls()
            .iter()
            .filter(|c| c.issuer() == ds_issuer)
            .max_by_key(|c| c.this_update());
        let Some(crl) = newest else {
            return false;
        };
        crl.freshness(now, self.grace()) == CrlFreshness::Stale
            && self
                .pki
                .crl_stale_action(crl.issuer_country().or(csca_country))
                == CrlStaleAction::Refer
    }

    fn grace(&self) -> Duration {
        Duration::from_secs(u64::from(self.pki.crl_grace_hours) * 3600)
    }

    /// The state the console shows.
    pub fn status(&self, now: SystemTime) -> console::link::TrustStatus {
        let store = self.store();
        let next_expiry = store
            .certificates()
            .iter()
            .map(|c| c.not_after())
            .chain(store.crls().iter().filter_map(|c| c.next_update()))
            .filter(|t| *t > now)
            .min();
        let freshness = newest_per_issuer(&store)
            .iter()
            .map(|c| c.freshness(now, self.grace()))
            .max();
        let last_error = self
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        console::link::TrustStatus {
            cscas: store.certificates().len() as u64,
            crls: store.crls().len() as u64,
            next_expiry: next_expiry.map(iso_date),
            crl_freshness: freshness.map_or("none", |f| f.as_str()).to_string(),
            ok: last_error.is_none() && freshness != Some(CrlFreshness::Stale),
            detail: last_error.unwrap_or_default(),
        }
    }

    /// Each CRL issuer's newest CRL that is overdue or stale, with its state.
    fn late_crls(&self, now: SystemTime) -> Vec<(String, CrlFreshness)> {
        let store = self.store();
        newest_per_issuer(&store)
            .into_iter()
            .map(|c| (c.issuer(), c.freshness(now, self.grace())))
            .filter(|(_, f)| *f != CrlFreshness::Current)
            .collect()
    }

    /// Every file and folder entry the reload watches, with its modification time and size.
    fn fingerprint(&self) -> Vec<(PathBuf, Option<(SystemTime, u64)>)> {
        let stat = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.modified().unwrap_or(UNIX_EPOCH), m.len()))
        };
        let mut paths: Vec<PathBuf> = Vec::new();
        for p in self
            .pki
            .csca
            .iter()
            .chain(&self.pki.master_lists)
            .chain(&self.pki.crls)
            .chain(&self.pki.deviation_lists)
            .chain(&self.pki.master_list_signers)
        {
            paths.push(p.clone());
            if p.is_dir() {
                if let Ok(entries) = std::fs::read_dir(p) {
                    paths.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
                }
            }
        }
        for sub in [
            STORE_SIGNER_ANCHORS,
            STORE_MASTER_LISTS,
            STORE_CRLS,
            STORE_DEVIATION_LISTS,
        ] {
            paths.extend(store_files(&self.pki, sub).unwrap_or_default());
        }
        paths.sort();
        paths
            .into_iter()
            .map(|p| {
                let s = stat(&p);
                (p, s)
            })
            .collect()
    }
}

fn newest_per_issuer(store: &CscaStore) -> Vec<&document::pki::Crl> {
    let mut newest: Vec<&document::pki::Crl> = Vec::new();
    for c in store.crls() {
        match newest.iter_mut().find(|n| n.issuer() == c.issuer()) {
            Some(n) if n.this_update() < c.this_update() => *n = c,
            Some(_) => {}
            None => newest.push(c),
        }
    }
    newest
}

/// `YYYY-MM-DD` of an instant (UTC).
pub fn iso_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let days = secs.div_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Where the watcher reports: the lanes' console links and the audit trail.
pub struct TrustReport {
    /// Each lane's console link (status line and alarms).
    pub links: Vec<Arc<console::link::LocalGate>>,
    /// The audit trail.
    pub audit: Arc<Mutex<audit::AuditLog>>,
}

/// Alarm ids of the trust watcher start here, apart from the driver loop's own sequence, so
/// that the two never give one gate the same id.
const TRUST_ALARM_IDS: u64 = 1 << 40;

impl TrustReport {
    fn alarm(&self, seq: &mut u64, reason: gate::ReasonCode) {
        *seq += 1;
        for link in &self.links {
            link.publish(console::link::GateEventKind::Alarm {
                alarm_id: TRUST_ALARM_IDS + *seq,
                reason: reason.as_str().into(),
            });
        }
    }

    fn audit(&self, kind: &str, data: serde_json::Value) {
        let log = self.audit.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = log.append(kind, &data) {
            warn!(error = %e, "the trust watcher cannot write the audit trail");
        }
    }

    fn status(&self, trust: &Trust) {
        let st = trust.status(SystemTime::now());
        for link in &self.links {
            link.set_status(|s| s.trust = Some(st.clone()));
        }
    }
}

/// Watches the trust files every `[pki] reload_interval_s` (their modification times and
/// sizes): a change loads the whole set again and swaps it in; a bad file keeps the last good
/// set and raises `trust_list_invalid`. Each tick also checks CRL freshness: a CRL past
/// nextUpdate raises `crl_overdue`, past nextUpdate plus the grace `crl_stale` (once per CRL
/// and state). Ends when `shutdown` turns true.
pub fn watch(
    trust: Arc<Trust>,
    report: TrustReport,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        report.status(&trust);
        let every = if trust.pki.reload_interval_s > 0.0 {
            Some(Duration::from_secs_f64(trust.pki.reload_interval_s))
        } else {
            None
        };
        let mut seen = trust.fingerprint();
        let mut alarms = 0u64;
        let mut late: Vec<(String, CrlFreshness)> = Vec::new();
        loop {
            let tick = every.unwrap_or(Duration::from_secs(60));
            tokio::select! {
                _ = async { drop(shutdown.wait_for(|s| *s).await) } => return,
                _ = tokio::time::sleep(tick) => {}
            }
            if every.is_some() {
                let t = trust.clone();
                let now = tokio::task::spawn_blocking(move || t.fingerprint())
                    .await
                    .unwrap_or_default();
                if now != seen {
                    seen = now;
                    let started = Instant::now();
                    let t = trust.clone();
                    let result = tokio::task::spawn_blocking(move || t.reload()).await;
                    let result = result.unwrap_or_else(|e| Err(format!("reload panicked: {e}")));
                    let ms = started.elapsed().as_millis() as u64;
                    match result {
                        Ok(notes) => {
                            let summary = trust.store().summary();
                            info!(summary = %summary, ms, "trust store reloaded");
                            report.audit(
                                "trust_reloaded",
                                serde_json::json!({ "summary": summary, "sources": notes, "ms": ms }),
                            );
                        }
                        Err(e) => {
                            warn!(error = %e, "trust files changed but do not load: the last good set stays");
                            report.audit("trust_reload_failed", serde_json::json!({ "error": e }));
                            report.alarm(&mut alarms, gate::ReasonCode::TrustListInvalid);
                        }
                    }
                }
            }
            let now_late = trust.late_crls(SystemTime::now());
            for (issuer, state) in &now_late {
                if late.contains(&(issuer.clone(), *state)) {
                    continue;
                }
                let reason = match state {
                    CrlFreshness::Stale => gate::ReasonCode::CrlStale,
                    _ => gate::ReasonCode::CrlOverdue,
                };
                warn!(issuer = %issuer, state = state.as_str(), "CRL past nextUpdate");
                report.audit(
                    "crl_freshness",
                    serde_json::json!({ "issuer": issuer, "state": state.as_str() }),
                );
                report.alarm(&mut alarms, reason);
            }
            late = now_late;
            report.status(&trust);
        }
    })
}

#[cfg(all(test, feature = "sim"))]
mod tests;
