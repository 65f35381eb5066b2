//! `egate doc ...`: passport documents. `verify` runs passive authentication offline on
//! dumped files; `masterlist` parses a CSCA master list and checks its CMS signature;
//! `read` reads a live chip through PC/SC.
//!
//! Exit codes: 0 the document (or master list) verifies, 1 it does not, 2 usage or I/O error.
//! Output never contains personal data: check names, reason codes, authority certificates.

pub mod read;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand, ValueEnum};
use document::mrz::{Mrz, MrzKey};
use document::pa::{self, CertSummary, PaInput, PaOptions, PaVerdict, Strictness};
use document::pki::{Certificate, CscaStore, MasterList, MasterListSignature};

use crate::lane::trust::{load_anchor, load_masterlist, read};
use serde_json::{json, Value};

const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

/// `egate doc` subcommands.
#[derive(Subcommand)]
pub enum DocCommand {
    /// Verify dumped chip files offline: passive authentication of EF.SOD against the data
    /// groups, the CSCA trust store (master lists, certificate folders), CRLs and the MRZ.
    /// Exit 0 only when the document verifies.
    Verify(VerifyArgs),
    /// Parse a CSCA master list (.ml), count its certificates and verify its CMS signature
    /// (against --csca when given, else against the CSCA certificates inside the list).
    Masterlist(MasterlistArgs),
    /// Read a chip through PC/SC (pcscd) and verify it: access protocol, files, DG1, DG2,
    /// passive authentication, Active and Chip Authentication, the chip-authenticity verdict
    /// (with its reason code), time and APDUs of each step. Exit 0 only when passive
    /// authentication and chip authenticity pass, 1 when either fails or the read fails, 2
    /// on a usage error.
    Read(crate::cli::doc::read::ReadArgs),
}

/// Strictness of the overall outcome.
#[derive(Clone, Copy, ValueEnum)]
pub enum StrictnessArg {
    /// Every check must pass (a missing CRL fails).
    Strict,
    /// No check may fail; signature, hashes, DS validity and the CSCA chain must pass.
    Standard,
    /// Signature and hashes only (integrity without trust; for specimens).
    IntegrityOnly,
}

/// Arguments of `egate doc verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// EF.SOD as read from the chip
    #[arg(long, value_name = "FILE")]
    sod: PathBuf,
    /// A data group as read, e.g. `--dg 1=DG1.bin --dg 2=DG2.bin`
    #[arg(long = "dg", value_name = "N=FILE")]
    dgs: Vec<String>,
    /// CSCA master list (.ml); trusted when its signer chains to a --csca / --csca-dir
    /// certificate, else to a CSCA inside the list itself (reported as such)
    #[arg(long = "masterlist", value_name = "FILE")]
    masterlists: Vec<PathBuf>,
    /// A trusted CSCA or link certificate (DER or PEM file), or a folder of them
    #[arg(long = "csca", value_name = "PATH")]
    cscas: Vec<PathBuf>,
    /// A folder of trusted CSCA and link certificates (DER or PEM)
    #[arg(long = "csca-dir", value_name = "DIR")]
    csca_dirs: Vec<PathBuf>,
    /// A CRL (DER or PEM), checked against the CSCA that issued it
    #[arg(long = "crl", value_name = "FILE")]
    crls: Vec<PathBuf>,
    /// The MRZ used for access (two or three lines; repeat the flag or separate with newlines)
    #[arg(long = "mrz", value_name = "LINE")]
    mrz: Vec<String>,
    /// Check certificate validity at this date (YYYY-MM-DD) when the SOD has no signingTime;
    /// default: now
    #[arg(long, value_name = "DATE")]
    at: Option<String>,
    /// How strict the overall outcome is
    #[arg(long, value_enum, default_value = "standard")]
    strictness: StrictnessArg,
    /// Print the verdict as JSON
    #[arg(long)]
    json: bool,
}

/// Arguments of `egate doc masterlist`.
#[derive(Args)]
pub struct MasterlistArgs {
    /// The master list file (.ml)
    file: PathBuf,
    /// The CSCA certificate expected to have issued the master list signer (DER or PEM)
    #[arg(long = "csca", value_name = "CERT")]
    cscas: Vec<PathBuf>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

/// Runs `egate doc ...`.
pub fn main(cmd: DocCommand) -> ExitCode {
    let result = match cmd {
        DocCommand::Verify(args) => verify(args),
        DocCommand::Masterlist(args) => masterlist(args),
        DocCommand::Read(args) => return crate::cli::doc::read::run(args),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("egate doc: {msg}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Parses `YYYY-MM-DD` into midnight UTC.
fn parse_date(s: &str) -> Result<SystemTime, String> {
    let bad = || format!("--at {s}: expected YYYY-MM-DD");
    let mut it = s.split('-');
    let (Some(y), Some(m), Some(d), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(bad());
    };
    let (y, m, d): (i64, i64, i64) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let days = gate::days_from_civil(y, m, d);
    Ok(UNIX_EPOCH + Duration::from_secs(u64::try_from(days * 86_400).map_err(|_| bad())?))
}

/// The MRZ given as `--mrz` flags (repeated, or lines separated by newlines).
fn mrz_lines(flags: &[String]) -> Result<Mrz, String> {
    let lines: Vec<String> = flags
        .iter()
        .flat_map(|l| l.lines().map(|s| s.trim().to_string()))
        .filter(|l| !l.is_empty())
        .collect();
    Mrz::parse(&lines).map_err(|e| format!("--mrz: {e}"))
}

fn verify(args: VerifyArgs) -> Result<ExitCode, String> {
    let sod = read(&args.sod)?;
    let mut dgs = BTreeMap::new();
    for spec in &args.dgs {
        let (n, file) = spec
            .split_once('=')
            .ok_or_else(|| format!("--dg {spec}: expected N=FILE"))?;
        let n: u8 = n
            .trim_start_matches(['D', 'G', 'd', 'g'])
            .parse()
            .map_err(|_| format!("--dg {spec}: bad number"))?;
        if !(1..=16).contains(&n) {
            return Err(format!("--dg {spec}: data groups are 1..16"));
        }
        dgs.insert(n, read(Path::new(file))?);
    }
    let key: Option<MrzKey> = if args.mrz.is_empty() {
        None
    } else {
        Some(mrz_lines(&args.mrz)?.key())
    };
    let mut store = CscaStore::new();
    let mut notes = Vec::new();
    for p in args.cscas.iter().chain(args.csca_dirs.iter()) {
        load_anchor(&mut store, p, &mut notes)?;
    }
    for p in &args.masterlists {
        load_masterlist(&mut store, p, &mut notes, true)?;
    }
    for p in &args.crls {
        match store.add_crl(&read(p)?) {
            Ok(crl) => notes.push(format!(
                "{}: CRL of {} with {} revoked serial(s)",
                p.display(),
                crl.issuer(),
                crl.revoked_count()
            )),
            Err(e) => notes.push(format!("{}: CRL not used: {e}", p.display())),
        }
    }
    let now = match &args.at {
        Some(d) => parse_date(d)?,
        None => SystemTime::now(),
    };
    let strictness = match args.strictness {
        StrictnessArg::Strict => Strictness::Strict,
        StrictnessArg::Standard => Strictness::Standard,
        StrictnessArg::IntegrityOnly => Strictness::IntegrityOnly,
    };
    let input = PaInput {
        sod: &sod,
        data_groups: &dgs,
        access_key: key.as_ref(),
    };
    let verdict = pa::verify_sod(&input, &store, &PaOptions { now, strictness });
    if args.json {
        let mut v = verdict_json(&verdict);
        v["trust_store"] = json!({ "summary": store.summary(), "sources": notes });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        print_verdict(&verdict, &store, &notes);
    }
    Ok(if verdict.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

fn cert_json(c: &Option<CertSummary>) -> Value {
    match c {
        None => Value::Null,
        Some(c) => json!({
            "subject": c.subject, "issuer": c.issuer, "serial": c.serial,
            "not_before": c.not_before, "not_after": c.not_after,
            "country": c.country, "key": c.key,
        }),
    }
}

/// The PA verdict as JSON (stable field names; the reader's `--json` reuses this shape).
pub fn verdict_json(v: &PaVerdict) -> Value {
    let checks: Vec<Value> = v
        .checks
        .iter()
        .map(|c| json!({ "check": c.label(), "status": c.status.as_str(), "reason": c.reason, "detail": c.detail }))
        .collect();
    json!({
        "outcome": if v.passed() { "passed" } else { "failed" },
        "strictness": v.strictness.as_str(),
        "reasons": v.reasons(),
        "validity_checked_at": {
            "unix": v.validity_time.instant().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
            "source": v.validity_time.source(),
        },
        "hash_algorithm": v.hash_algorithm.map(|h| h.name()),
        "signature_algorithm": v.signature_algorithm,
        "dgs_in_sod": v.dgs_in_sod,
        "dgs_not_supplied": v.dgs_not_supplied,
        "ds": cert_json(&v.ds),
        "csca": cert_json(&v.csca),
        "checks": checks,
    })
}

fn print_verdict(v: &PaVerdict, store: &CscaStore, notes: &[String]) {
    println!("trust store: {}", store.summary());
    for n in notes {
        println!("  {n}");
    }
    println!(
        "EF.SOD: {} data-group hashes, signature {}; DGs in SOD: {:?}{}",
        v.hash_algorithm.map(|h| h.name()).unwrap_or("?"),
        v.signature_algorithm.as_deref().unwrap_or("?"),
        v.dgs_in_sod,
        if v.dgs_not_supplied.is_empty() {
            String::new()
        } else {
            format!(", not supplied: {:?}", v.dgs_not_supplied)
        },
    );
    if let Some(ds) = &v.ds {
        println!("DS:   {} (serial {}, {})", ds.subject, ds.serial, ds.key);
        println!("      issued by {}", ds.issuer);
    }
    if let Some(c) = &v.csca {
        println!("CSCA: {} ({})", c.subject, c.key);
    }
    println!(
        "validity checked at {} ({})",
        fmt_time(v.validity_time.instant()),
        v.validity_time.source()
    );
    for c in &v.checks {
        let reason = c.reason.map(|r| format!("{r}: ")).unwrap_or_default();
        println!(
            "  [{:<12}] {:<16} {reason}{}",
            c.status.as_str(),
            c.label(),
            c.detail
        );
    }
    let reasons = v.reasons();
    println!(
        "outcome: {} ({}){}",
        if v.passed() { "PASSED" } else { "FAILED" },
        v.strictness.as_str(),
        if reasons.is_empty() {
            String::new()
        } else {
            format!(": {}", reasons.join(", "))
        }
    );
}

fn fmt_time(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let days = secs.div_euclid(86_400);
    let (y, m, d) = gate::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

fn masterlist(args: MasterlistArgs) -> Result<ExitCode, String> {
    let bytes = read(&args.file)?;
    let ml = MasterList::from_der(&bytes).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let mut anchors = Vec::new();
    for p in &args.cscas {
        anchors.push(
            Certificate::from_der_or_pem(&read(p)?).map_err(|e| format!("{}: {e}", p.display()))?,
        );
    }
    let external = !anchors.is_empty();
    let verdict = if external {
        ml.verify(&anchors)
    } else {
        ml.verify(&ml.certificates)
    };
    let mut countries: BTreeMap<String, usize> = BTreeMap::new();
    for c in &ml.certificates {
        *countries
            .entry(c.subject_country().unwrap_or_else(|| "??".into()))
            .or_default() += 1;
    }
    let signer = ml
        .signed_data
        .signer_infos
        .first()
        .and_then(|s| ml.signed_data.signer_certificate(s));
    let (status, detail) = match &verdict {
        MasterListSignature::Verified {
            csca, algorithm, ..
        } => ("verified", format!("{algorithm}, signer issued by {csca}")),
        MasterListSignature::SignatureInvalid(d) => ("signature_invalid", d.clone()),
        MasterListSignature::SignerNotTrusted(d) => ("signer_not_trusted", d.clone()),
        MasterListSignature::NotPossible(d) => ("not_possible", d.clone()),
        _ => ("not_possible", String::new()),
    };
    let anchor_kind = if external {
        "given --csca"
    } else {
        "CSCA inside the list (no external anchor)"
    };
    if args.json {
        let v = json!({
            "file": args.file.display().to_string(),
            "certificates": ml.certificates.len(),
            "unparsed": ml.unparsed,
            "countries": countries.len(),
            "per_country": countries,
            "signer": signer.map(|s| json!({"subject": s.subject(), "issuer": s.issuer()})),
            "signature": { "status": status, "detail": detail, "anchor": anchor_kind },
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!("master list: {}", args.file.display());
        println!(
            "  certificates: {} ({} unparsed), countries: {}",
            ml.certificates.len(),
            ml.unparsed,
            countries.len()
        );
        if let Some(s) = signer {
            println!("  signer: {}", s.subject());
            println!("          issued by {}", s.issuer());
        }
        println!("  CMS signature: {status} ({detail}); anchor: {anchor_kind}");
    }
    Ok(if matches!(verdict, MasterListSignature::Verified { .. }) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = parse_date("2008-06-01").unwrap();
        assert_eq!(
            t.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_212_278_400
        );
        assert_eq!(fmt_time(t), "2008-06-01");
        assert!(parse_date("2008-13-01").is_err());
        assert!(parse_date("junk").is_err());
    }
}
