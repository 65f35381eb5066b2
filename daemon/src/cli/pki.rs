//! `egate pki`: the gate's trust store (`[pki] store_dir`). Imports a CSCA master list (CMS,
//! verified against a master-list signer anchor, ICAO 9303-12 §8), a CRL (verified against
//! the CSCAs, 9303-12 §7.1.4) or a deviation list (its Deviation List Signer verified against
//! a CSCA of its country, 9303-12 §10), and lists what the gate trusts and when each item runs
//! out.
//!
//! Files are written whole (temporary file, then rename), so a running gate's reload sees the
//! old file or the new one, never a part of one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use document::pki::{Certificate, CscaStore, MasterListSignature};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::config::devices::PkiConfig;
use crate::lane::trust::{
    self, iso_date, load_config, read_certificate, store_files, STORE_CRLS, STORE_DEVIATION_LISTS,
    STORE_MASTER_LISTS, STORE_SIGNER_ANCHORS,
};

/// Where the store is: `--config` and `--store-dir`.
#[derive(clap::Args)]
pub struct StoreArgs {
    /// Configuration file (TOML); its `[pki]` section names the store and the other trust
    /// files. Without it, the embedded default.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// The trust store folder (overrides `[pki] store_dir`).
    #[arg(long)]
    store_dir: Option<PathBuf>,
}

/// `egate pki`.
#[derive(clap::Subcommand)]
pub enum PkiCommand {
    /// Verify a CSCA master list (CMS) and add it to the trust store
    ImportMasterlist {
        /// The master list (`.ml`, CMS SignedData with id-icao-cscaMasterList)
        file: PathBuf,
        /// A certificate the master list's signer must be issued by (DER or PEM); besides
        /// `[pki] master_list_signers`, the CSCAs and the anchors already in the store. It is
        /// kept in the store so that the list verifies again on every reload.
        #[arg(long)]
        signer_anchor: Vec<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Verify a CRL against the CSCAs and add it to the trust store (it replaces an older CRL
    /// of the same issuer)
    ImportCrl {
        /// The CRL (DER or PEM)
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Verify an ICAO deviation list (CMS, 9303-12 §10) against the CSCAs and add it to the
    /// trust store
    ImportDeviationList {
        /// The deviation list (CMS SignedData with id-icao-DeviationList)
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the trust store: each CSCA, CRL and deviation list, its country, and when it runs
    /// out
    List {
        /// JSON instead of text
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Entry point of `egate pki`.
pub fn main(cmd: PkiCommand) -> ExitCode {
    let (store_args, needs_store) = match &cmd {
        PkiCommand::ImportMasterlist { store, .. }
        | PkiCommand::ImportCrl { store, .. }
        | PkiCommand::ImportDeviationList { store, .. } => (store, true),
        PkiCommand::List { store, .. } => (store, false),
    };
    let pki = match pki_config(store_args, needs_store) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let result = match cmd {
        PkiCommand::ImportMasterlist {
            file,
            signer_anchor,
            ..
        } => import_masterlist(&pki, &file, &signer_anchor),
        PkiCommand::ImportCrl { file, .. } => import_crl(&pki, &file),
        PkiCommand::ImportDeviationList { file, .. } => import_deviation_list(&pki, &file),
        PkiCommand::List { json, .. } => list(&pki, json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("egate pki: {e}");
            ExitCode::FAILURE
        }
    }
}

fn pki_config(args: &StoreArgs, needs_store: bool) -> Result<PkiConfig, ExitCode> {
    let cfg = super::load_config(
        args.config.as_deref(),
        "egate pki",
        |cfg| {
            if let Some(dir) = &args.store_dir {
                cfg.pki.store_dir.clone_from(dir);
            }
        },
        |cfg| {
            if needs_store && cfg.pki.store_dir.as_os_str().is_empty() {
                vec![crate::config::ConfigError {
                    key: "pki.store_dir".into(),
                    line: None,
                    message: "empty: name the trust store to import into (or --store-dir)".into(),
                }]
            } else {
                Vec::new()
            }
        },
    )?;
    Ok(cfg.pki)
}

/// The store as the gate would load it now; an error names the bad file.
fn current(pki: &PkiConfig) -> Result<CscaStore, String> {
    load_config(pki, None)
        .map(|(s, _)| s)
        .map_err(|e| format!("the trust files do not load as they are: {e}"))
}

/// Writes `bytes` to `dir/name` whole (temporary file, then rename).
fn write_into(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(name);
    audit::private_file(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn file_name(path: &Path) -> Result<String, String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.starts_with('.'))
        .map(str::to_string)
        .ok_or_else(|| format!("{}: not a usable file name", path.display()))
}

fn import_masterlist(pki: &PkiConfig, file: &Path, anchors: &[PathBuf]) -> Result<(), String> {
    let store = current(pki)?;
    let mut signers = Vec::new();
    for p in pki
        .master_list_signers
        .iter()
        .cloned()
        .chain(store_files(pki, STORE_SIGNER_ANCHORS)?)
        .chain(anchors.iter().cloned())
    {
        signers.push(read_certificate(&p)?);
    }
    let (ml, verdict) = trust::verify_masterlist(&store, file, &signers)?;
    let MasterListSignature::Verified {
        signer,
        csca,
        algorithm,
    } = verdict
    else {
        return Err(format!("{}: master list not verified", file.display()));
    };
    // Keep the anchor the list verified against (if it came from the command line), so
    // that the gate verifies the list again on every load.
    for p in anchors {
        let cert = read_certificate(p)?;
        if cert.subject() == csca {
            let der = cert.der().to_vec();
            write_into(
                &pki.store_dir.join(STORE_SIGNER_ANCHORS),
                &format!("{}.der", short_hash(&der)),
                &der,
            )?;
        }
    }
    let bytes = trust::read(file)?;
    let dest = write_into(
        &pki.store_dir.join(STORE_MASTER_LISTS),
        &file_name(file)?,
        &bytes,
    )?;
    let new = ml
        .certificates
        .iter()
        .filter(|c| !store.certificates().iter().any(|s| s.der() == c.der()))
        .count();
    let countries = countries(&ml.certificates);
    println!(
        "{}: imported as {}: {} certificate(s) ({new} new) from {} countries{}",
        file.display(),
        dest.display(),
        ml.certificates.len(),
        countries,
        if ml.unparsed > 0 {
            format!(
                ", {} entries that are not certificates skipped",
                ml.unparsed
            )
        } else {
            String::new()
        }
    );
    println!("  signer {signer} ({algorithm}), issued by {csca}");
    Ok(())
}

fn countries(certs: &[Certificate]) -> usize {
    let mut c: Vec<String> = certs.iter().filter_map(|c| c.subject_country()).collect();
    c.sort();
    c.dedup();
    c.len()
}

fn import_crl(pki: &PkiConfig, file: &Path) -> Result<(), String> {
    let mut store = current(pki)?;
    let bytes = trust::read(file)?;
    let crl = store
        .add_crl(&bytes)
        .map_err(|e| format!("{}: CRL refused: {e}", file.display()))?
        .clone();
    // One file per issuer: a newer CRL replaces the older one (RFC 5280 §5.1.2.4:
    // thisUpdate orders them), an older one is refused.
    let name = format!(
        "{}-{}.crl",
        crl.issuer_country().unwrap_or("XX"),
        short_hash(crl.issuer().as_bytes())
    );
    let dir = pki.store_dir.join(STORE_CRLS);
    let dest = dir.join(&name);
    if dest.exists() {
        let mut alone = CscaStore::new();
        for c in store.certificates() {
            alone.add_certificate(c.clone());
        }
        if let Ok(old) = alone.add_crl(&trust::read(&dest)?) {
            if old.this_update() > crl.this_update() {
                return Err(format!(
                    "{}: CRL refused: CertificateList.tbsCertList.thisUpdate {} is older than the stored CRL's {} ({})",
                    file.display(),
                    iso_date(crl.this_update()),
                    iso_date(old.this_update()),
                    dest.display()
                ));
            }
        }
    }
    write_into(&dir, &name, &bytes)?;
    println!(
        "{}: imported as {}: CRL of {} with {} revoked serial(s), thisUpdate {}, nextUpdate {}",
        file.display(),
        dest.display(),
        crl.issuer(),
        crl.revoked_count(),
        iso_date(crl.this_update()),
        crl.next_update().map_or("none".into(), iso_date)
    );
    Ok(())
}

fn import_deviation_list(pki: &PkiConfig, file: &Path) -> Result<(), String> {
    let mut store = current(pki)?;
    let bytes = trust::read(file)?;
    let list = store
        .add_deviation_list(&bytes, SystemTime::now())
        .map_err(|e| format!("{}: deviation list refused: {e}", file.display()))?
        .clone();
    let dest = write_into(
        &pki.store_dir.join(STORE_DEVIATION_LISTS),
        &format!("{}-{}.dl", list.country, list.list.id.to_ascii_lowercase()),
        &bytes,
    )?;
    println!(
        "{}: imported as {}: deviation list {} of {} with {} deviation(s): {}",
        file.display(),
        dest.display(),
        list.list.id,
        list.country,
        list.list.deviations.len(),
        type_counts(&list)
    );
    println!("  signer {}, issued by {}", list.signer, list.csca);
    Ok(())
}

/// `dg_hash_wrong ×2, aa_key_compromised ×1`.
fn type_counts(list: &document::pki::TrustedDeviationList) -> String {
    let counts = list.list.type_counts();
    if counts.is_empty() {
        return "no descriptions".into();
    }
    counts
        .iter()
        .map(|(t, n)| format!("{} ×{n}", t.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `println!` that stops quietly when standard output is closed (`egate pki list | head`).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

fn list(pki: &PkiConfig, as_json: bool) -> Result<(), String> {
    let (store, sources) = load_config(pki, None)?;
    let now = SystemTime::now();
    let grace = std::time::Duration::from_secs(u64::from(pki.crl_grace_hours) * 3600);
    let mut certs: Vec<&Certificate> = store.certificates().iter().collect();
    certs.sort_by_key(|c| c.not_after());
    let next = certs.iter().find(|c| c.not_after() > now);
    if as_json {
        let certs: Vec<_> = certs
            .iter()
            .map(|c| {
                json!({
                    "subject": c.subject(),
                    "country": c.subject_country(),
                    "serial": c.serial_hex(),
                    "not_before": iso_date(c.not_before()),
                    "not_after": iso_date(c.not_after()),
                    "expired": c.not_after() <= now,
                    "link": !c.is_self_issued(),
                })
            })
            .collect();
        let crls: Vec<_> = store
            .crls()
            .iter()
            .map(|c| {
                json!({
                    "issuer": c.issuer(),
                    "country": c.issuer_country(),
                    "this_update": iso_date(c.this_update()),
                    "next_update": c.next_update().map(iso_date),
                    "revoked": c.revoked_count(),
                    "freshness": c.freshness(now, grace).as_str(),
                })
            })
            .collect();
        let deviation_lists: Vec<_> = store
            .deviation_lists()
            .iter()
            .map(|d| {
                json!({
                    "id": d.list.id,
                    "country": d.country,
                    "signer": d.signer,
                    "csca": d.csca,
                    "deviations": d.list.deviations.len(),
                    "types": d.list.type_counts().iter().map(|(t, n)| json!({ "type": t.as_str(), "count": n })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let out = json!({
            "store_dir": pki.store_dir,
            "sources": sources,
            "cscas": certs,
            "crls": crls,
            "deviation_lists": deviation_lists,
            "next_expiry": next.map(|c| json!({ "subject": c.subject(), "not_after": iso_date(c.not_after()) })),
        });
        out!("{out:#}");
        return Ok(());
    }
    out!("{}", store.summary());
    for s in &sources {
        out!("  source {s}");
    }
    out!("CSCA and link certificates, by expiry:");
    for c in &certs {
        out!(
            "  {}  {}  {}{}{}",
            iso_date(c.not_after()),
            c.subject_country().unwrap_or_else(|| "--".into()),
            c.subject(),
            if c.is_self_issued() { "" } else { "  (link)" },
            if c.not_after() <= now {
                "  EXPIRED"
            } else {
                ""
            }
        );
    }
    out!("CRLs:");
    for c in store.crls() {
        out!(
            "  {}  {}  thisUpdate {}  nextUpdate {}  {} revoked  {}",
            c.issuer_country().unwrap_or("--"),
            c.issuer(),
            iso_date(c.this_update()),
            c.next_update().map_or("none".into(), iso_date),
            c.revoked_count(),
            c.freshness(now, grace).as_str()
        );
    }
    out!("Deviation lists:");
    for d in store.deviation_lists() {
        out!(
            "  {}  {}  {} deviation(s): {}  signer {}",
            d.country,
            d.list.id,
            d.list.deviations.len(),
            type_counts(d),
            d.signer
        );
    }
    match next {
        Some(c) => out!("next expiry: {} ({})", iso_date(c.not_after()), c.subject()),
        None => out!("next expiry: none (no certificate still valid)"),
    }
    Ok(())
}
