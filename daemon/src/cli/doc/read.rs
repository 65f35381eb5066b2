//! `egate doc read`: read a live chip through PC/SC (pcscd), then verify it — the reader
//! (`document::reader::read_document`) over the `hardware` PC/SC adapter, passive
//! authentication against the given trust anchors, Active and Chip Authentication, the
//! chip-authenticity verdict (`document::authenticity`), and a report of every step.
//!
//! Prints the holder's DG1 fields (this is a technician's tool; use it on specimens and test
//! documents). Exit codes: 0 read and verified (passive authentication and chip
//! authenticity), 1 read or verification failed, 2 usage error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use clap::Args;
use document::authenticity::AuthenticityVerdict;
use document::pa::{Check, PaOptions};
use document::pki::HashAlg;
use document::reader::{self, AccessKey, ReaderOptions};
use hardware::pcsc_reader::PcscReader;

/// Arguments of `egate doc read`.
#[derive(Args)]
pub struct ReadArgs {
    /// PC/SC reader (name or part of it); default: the first reader
    #[arg(long, value_name = "NAME")]
    reader: Option<String>,
    /// The MRZ (two or three lines; repeat the flag or separate with newlines)
    #[arg(long = "mrz", value_name = "LINE", conflicts_with = "can")]
    mrz: Vec<String>,
    /// The card access number (PACE with the CAN)
    #[arg(long, value_name = "NUMBER")]
    can: Option<String>,
    /// A trusted CSCA or link certificate (DER or PEM), or a folder of them
    #[arg(long = "csca", value_name = "PATH")]
    cscas: Vec<PathBuf>,
    /// A CSCA master list (.ml), verified against the --csca anchors or a CSCA inside it
    #[arg(long = "masterlist", value_name = "FILE")]
    masterlists: Vec<PathBuf>,
    /// A CRL (DER or PEM)
    #[arg(long = "crl", value_name = "FILE")]
    crls: Vec<PathBuf>,
    /// Write the face image from DG2 to this file
    #[arg(long, value_name = "FILE")]
    save_photo: Option<PathBuf>,
    /// Seconds to wait for a card
    #[arg(long, default_value_t = 10)]
    wait: u64,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

/// Runs `egate doc read`.
pub fn run(args: ReadArgs) -> ExitCode {
    match read(args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("egate doc read: {msg}");
            ExitCode::from(crate::cli::EXIT_USAGE)
        }
    }
}

fn read(args: ReadArgs) -> Result<ExitCode, String> {
    let (key, mrz_key) = match (&args.can, args.mrz.is_empty()) {
        (Some(can), _) => (AccessKey::Can(can.clone().into()), None),
        (None, false) => {
            let mrz = super::mrz_lines(&args.mrz)?;
            (AccessKey::from(&mrz), Some(mrz.key()))
        }
        (None, true) => return Err("give --mrz LINES or --can NUMBER".into()),
    };
    let (store, _) = crate::lane::trust::trust(&args.cscas, &args.masterlists, &args.crls, true)?;
    let mut pcsc = PcscReader::open(args.reader.as_deref()).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(args.wait);
    while !pcsc.card_present().map_err(|e| e.to_string())? {
        if Instant::now() >= deadline {
            eprintln!(
                "egate doc read: no card in {} after {} s",
                pcsc.name(),
                args.wait
            );
            return Ok(ExitCode::from(1));
        }
        let _ = pcsc.wait_event(Duration::from_millis(500));
    }
    pcsc.connect().map_err(|e| e.to_string())?;
    let start = Instant::now();
    let doc = match reader::read_document(&mut pcsc, &key, ReaderOptions::default()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("egate doc read: read failed: {e}");
            pcsc.disconnect();
            return Ok(ExitCode::from(1));
        }
    };
    let read_time = start.elapsed();
    pcsc.disconnect();

    // ReadDocument::verify_sod wipes the copies it makes of the data groups.
    let options = PaOptions::new(SystemTime::now());
    let verdict = doc.verify_sod(mrz_key.as_ref(), &store, &options);
    let chip = doc.verify_chip(&verdict, &store, &options);
    let aa = doc.active_authentication.as_ref().map(|v| &v.check);
    let ca = doc.chip_authentication.as_ref().map(|v| match v {
        document::ca::CaVerdict::Passed => ("passed", String::new()),
        document::ca::CaVerdict::Failed(why) => ("failed", format!("{why:?}")),
    });
    let face = doc.face().ok();
    if let (Some(path), Some(f)) = (&args.save_photo, &face) {
        std::fs::write(path, &f.image).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let mrz = doc.mrz().ok();
    if args.json {
        let files: Vec<serde_json::Value> = doc
            .data_groups
            .iter()
            .map(|(n, v)| serde_json::json!({ "file": format!("DG{n}"), "bytes": v.len() }))
            .collect();
        let unreadable: Vec<serde_json::Value> = doc
            .unreadable
            .iter()
            .map(|(n, why)| serde_json::json!({ "file": format!("DG{n}"), "why": why.as_str() }))
            .collect();
        let steps: Vec<serde_json::Value> = doc
            .stats
            .steps
            .iter()
            .map(|s| serde_json::json!({ "step": s.step, "ms": s.duration.as_secs_f64() * 1e3, "apdus": s.apdus, "bytes": s.file_bytes }))
            .collect();
        let v = serde_json::json!({
            "reader": pcsc.name(),
            "access": format!("{:?}", doc.access),
            "files": files,
            "sod_bytes": doc.sod.len(),
            "steps": steps,
            "apdus": doc.stats.apdus,
            "read_ms": read_time.as_secs_f64() * 1e3,
            "dg1": mrz.as_ref().map(|m| serde_json::json!({
                "document_number": m.document_number(), "issuing_state": m.issuing_state(),
                "nationality": m.nationality(), "birth_date": m.birth_date(), "sex": m.sex(),
                "expiry_date": m.expiry_date() })),
            "dg2": face.as_ref().map(|f| serde_json::json!({
                "format": f.format.name(), "width": f.width, "height": f.height,
                "sha256": hex(&HashAlg::Sha256.digest(&f.image)) })),
            "unreadable": unreadable,
            "passive_authentication": crate::cli::doc::verdict_json(&verdict),
            "active_authentication": aa.map(check_json),
            "chip_authentication": ca.as_ref().map(|(status, detail)| serde_json::json!({
                "status": status, "detail": detail })),
            "pace_cam_verified": doc.pace.as_ref().and_then(|p| p.cam_verified),
            "chip_authenticity": authenticity_json(&chip),
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!("reader: {}", pcsc.name());
        println!("access: {:?}", doc.access);
        println!(
            "read: {} APDUs in {:.0} ms",
            doc.stats.apdus,
            read_time.as_secs_f64() * 1e3
        );
        for s in &doc.stats.steps {
            println!(
                "  {:<14} {:>7.1} ms {:>4} APDUs {:>7} bytes",
                s.step,
                s.duration.as_secs_f64() * 1e3,
                s.apdus,
                s.file_bytes
            );
        }
        println!("EF.SOD: {} bytes", doc.sod.len());
        for (n, v) in &doc.data_groups {
            println!("DG{n}: {} bytes", v.len());
        }
        for (n, why) in &doc.unreadable {
            println!("DG{n}: not read ({})", why.as_str());
        }
        if let Some(m) = &mrz {
            println!(
                "DG1: {} {} number {} nationality {} born {} sex {} expires {}",
                m.document_code(),
                m.issuing_state(),
                m.document_number(),
                m.nationality(),
                m.birth_date(),
                m.sex(),
                m.expiry_date()
            );
        }
        if let Some(f) = &face {
            println!(
                "DG2: {} {}x{} sha256 {}",
                f.format.name(),
                f.width,
                f.height,
                hex(&HashAlg::Sha256.digest(&f.image))
            );
        }
        println!(
            "passive authentication: {}",
            if verdict.passed() { "PASSED" } else { "FAILED" }
        );
        for c in &verdict.checks {
            println!(
                "  {:<28} {:<12} {}",
                c.label(),
                c.status.as_str(),
                c.reason.unwrap_or("")
            );
        }
        match aa {
            Some(c) => println!(
                "active authentication: {} {}",
                c.status.as_str(),
                c.reason.unwrap_or("")
            ),
            None => println!("active authentication: not run"),
        }
        match &ca {
            Some((status, detail)) => println!("chip authentication: {status} {detail}"),
            None => println!("chip authentication: not run"),
        }
        println!(
            "chip authenticity: {}{}",
            chip.outcome.as_str().to_uppercase(),
            chip.reason.map(|r| format!(" ({r})")).unwrap_or_default()
        );
        for c in &chip.checks {
            println!(
                "  {:<28} {:<12} {:<24} {}",
                c.label(),
                c.status.as_str(),
                c.reason.unwrap_or(""),
                c.detail
            );
        }
    }
    Ok(if verdict.passed() && chip.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn check_json(c: &Check) -> serde_json::Value {
    serde_json::json!({
        "check": c.label(), "status": c.status.as_str(), "reason": c.reason, "detail": c.detail,
    })
}

fn authenticity_json(v: &AuthenticityVerdict) -> serde_json::Value {
    serde_json::json!({
        "outcome": v.outcome.as_str(),
        "reason": v.reason,
        "checks": v.checks.iter().map(check_json).collect::<Vec<_>>(),
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
