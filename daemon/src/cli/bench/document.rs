//! The benchmarks that read a document: from the simulator's in-process virtual chip, signed
//! by its test PKI (so they exist only with the `sim` feature).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use document::reader::{read_document, AccessKey, ReadDocument, ReaderOptions};
use serde_json::{json, Value};
use sim::chip::LinkModel;

use super::{meets, whole_passage, BenchArgs, BenchError, Report, Summary};
use audit::AuditLog;

/// Goal: software time per document read.
const GOAL_DOC_SOFTWARE_MS: f64 = 50.0;
/// Goal: modelled wall time of the 20 KB DG2 read.
const GOAL_DG2_MODELLED_MS: f64 = 1000.0;
/// Goal: a read through pcscd + vpcd within this fraction of the in-process model.
const GOAL_VPCD_RATIO_DEVIATION: f64 = 0.10;
/// Goal: software share of a passage (the rest of a passage is walking and doors).
const GOAL_PASSAGE_MS: f64 = 300.0;
/// The DG2 face image size of a typical passport (about 20 KB).
const TARGET_FACE_BYTES: usize = 20 * 1024;

// ---------------------------------------------------------------------------------------
// The document: the daemon's calls (simbank `start` and `chip_job`), with a ~20 KB face.

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A summary's median and 95th percentile, in ms.
fn median_p95_ms(s: &Summary) -> (f64, f64) {
    (ms(s.median), ms(s.p95))
}

/// The specimen document with a ~20 KB JPEG face, and the CSCA store that trusts it.
pub(super) struct Fixture {
    pub(super) chip: sim::chip::ChipSpec,
    pub(super) mrz: document::mrz::Mrz,
    store: document::pki::CscaStore,
    face_bytes: usize,
    face_size: (u16, u16),
}

fn default_face() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vision/tests/data/person_b_1.jpg")
}

fn fixture(args: &BenchArgs) -> Result<Fixture, BenchError> {
    fixture_with(args.face.clone())
}

/// The specimen with the face made from `face` (default: `person_b_1.jpg`).
pub(super) fn fixture_with(face: Option<PathBuf>) -> Result<Fixture, BenchError> {
    let path = face.unwrap_or_else(default_face);
    let (face, w, h) = face_jpeg(&path)?;
    let pki = sim::factory::pki::TestPki::generate("egate-bench", "DE");
    let mut store = document::pki::CscaStore::new();
    let pki_err = |e: document::pki::PkiError| BenchError::Pki(e.to_string());
    store.add_der_or_pem(&pki.csca.der).map_err(pki_err)?;
    store.add_der_or_pem(&pki.link.der).map_err(pki_err)?;
    store.add_crl(&pki.crl).map_err(pki_err)?;
    let mut spec = sim::factory::DocumentSpec::specimen();
    let face_bytes = face.len();
    spec.face = face;
    spec.face_size = (w, h);
    spec.face_format = sim::factory::lds::ImageFormat::Jpeg;
    let doc = sim::factory::build(&spec, &pki);
    let lines: Vec<&str> = doc.printed_mrz.lines().collect();
    let mrz = document::mrz::Mrz::parse(&lines).map_err(|e| BenchError::Mrz(e.to_string()))?;
    Ok(Fixture {
        chip: doc.chip,
        mrz,
        store,
        face_bytes,
        face_size: (w, h),
    })
}

/// A real photo, area-resampled down to the size whose JPEG (OpenCV's default quality) is the
/// closest to 20 KB: a binary search on the longest side.
fn face_jpeg(path: &Path) -> Result<(Vec<u8>, u16, u16), BenchError> {
    let err = |source| BenchError::Face {
        path: path.to_path_buf(),
        source,
    };
    let frame = vision::read_photo(path).map_err(err)?;
    let (w, h) = (frame.width(), frame.height());
    if w == 0 || h == 0 {
        return Err(BenchError::FaceSize(path.to_path_buf()));
    }
    let encode = |side: u32| -> Result<(Vec<u8>, u16, u16), BenchError> {
        let side = side.min(w.max(h)).max(16);
        let (nw, nh) = if w >= h {
            (side, (h * side / w).max(1))
        } else {
            ((w * side / h).max(1), side)
        };
        let small = frame
            .resize(nw, nh, vision::Interpolation::Area)
            .map_err(err)?;
        let jpeg = vision::decode::encode_image(&small, ".jpg").map_err(err)?;
        Ok((jpeg, nw as u16, nh as u16))
    };
    let (mut lo, mut hi) = (16u32, w.max(h).min(2000));
    let mut best: Option<(Vec<u8>, u16, u16)> = None;
    while lo <= hi {
        let mid = (lo + hi) / 2;
        let candidate = encode(mid)?;
        let size = candidate.0.len();
        let closer = best.as_ref().is_none_or(|b| {
            size.abs_diff(TARGET_FACE_BYTES) < b.0.len().abs_diff(TARGET_FACE_BYTES)
        });
        if closer {
            best = Some(candidate);
        }
        if size < TARGET_FACE_BYTES {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    best.filter(|b| b.0.len().abs_diff(TARGET_FACE_BYTES) < TARGET_FACE_BYTES / 4)
        .ok_or_else(|| BenchError::FaceSize(path.to_path_buf()))
}

/// One read + PA, as the daemon's chip job does it.
struct Read {
    doc: ReadDocument,
    apdus: u64,
    bytes: u64,
    modelled: Duration,
    read_time: Duration,
    pa_time: Duration,
}

fn read_once(fx: &Fixture, link: LinkModel) -> Result<Read, BenchError> {
    let t0 = Instant::now();
    let mut card =
        sim::inprocess::InProcessCard::new(sim::chip::VirtualChip::new(fx.chip.clone()), link);
    let doc = read_document(
        &mut card,
        &AccessKey::from(&fx.mrz),
        ReaderOptions::default(),
    )
    .map_err(|e| BenchError::Read(e.to_string()))?;
    let t1 = Instant::now();
    let pa = crate::lane::jobs::passive_authentication(&doc, &fx.mrz, &fx.store);
    let t2 = Instant::now();
    if !pa.passed() {
        return Err(BenchError::Pa(pa.reasons()));
    }
    Ok(Read {
        doc,
        apdus: card.apdus(),
        bytes: card.bytes(),
        modelled: card.modelled_time(),
        read_time: t1 - t0,
        pa_time: t2 - t1,
    })
}

/// One read + PA of the fixture on `link`: the link's modelled time and the software time
/// (read and PA).
pub(super) fn read_once_timed(
    fx: &Fixture,
    link: LinkModel,
) -> Result<(Duration, Duration), BenchError> {
    let r = read_once(fx, link)?;
    Ok((r.modelled, r.read_time + r.pa_time))
}

pub(super) fn bench_doc(args: &BenchArgs) -> Result<Report, BenchError> {
    let fx = fixture(args)?;
    read_once(&fx, LinkModel::INSTANT)?; // warm-up
    let (mut total, mut reads, mut pas) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..args.iterations {
        let r = read_once(&fx, LinkModel::INSTANT)?;
        total.push(r.read_time + r.pa_time);
        reads.push(r.read_time);
        pas.push(r.pa_time);
    }
    let typical = read_once(&fx, LinkModel::TYPICAL)?;
    let stats = &typical.doc.stats;
    let dg2 = stats.steps.iter().find(|s| s.step == "DG2");
    let dg2_apdus = dg2.map_or(0, |s| s.apdus);
    let dg2_file_bytes = typical.doc.data_groups.get(&2).map_or(0, |d| d.len());
    // The DG2 read's modelled time: the same link model over exactly the DG2 step's APDUs.
    // The step reports its APDU count and file bytes; the protocol overhead per APDU (secure
    // messaging header, MAC, status words) is taken from the whole read's average.
    let dg2_modelled = dg2_modelled_time(&typical, dg2_apdus, dg2_file_bytes);
    let (t, r, p) = (
        Summary::of(&mut total),
        Summary::of(&mut reads),
        Summary::of(&mut pas),
    );
    let steps: Vec<String> = stats
        .steps
        .iter()
        .map(|s| format!("{} {}", s.step, s.apdus))
        .collect();
    let vpcd = match &args.vpcd {
        Some(addr) => Some(super::link::read_through_vpcd(
            &fx,
            addr,
            &args.vpcd_reader,
            args.vpcd_reads,
            LinkModel::TYPICAL,
        )?),
        None => None,
    };
    // The in-process model of a read's wall time: the software read (instant link) plus the
    // link model's time over the same APDUs. Through vpcd the chip sleeps that time per APDU.
    let model_wall = ms(typical.modelled) + ms(r.median);
    let aa = typical.doc.active_authentication.is_some();
    let ca = typical.doc.chip_authentication.is_some();
    let ((tm, tp), (rm, rp), (pm, pp)) = (median_p95_ms(&t), median_p95_ms(&r), median_p95_ms(&p));
    let table = format!(
        "egate bench doc — full read from the in-process virtual chip + passive authentication\n\
         iterations                      {n}\n\
         face image (DG2 JPEG)           {fb} bytes, {fw}x{fh} px (person_b_1.jpg box-downscaled)\n\
         DG2 file                        {dg2b} bytes, {dg2a} APDUs\n\
         AA run / CA run                 {aa} / {ca}\n\
         APDUs per document              {apdus}\n\
         bytes on the link               {bytes}\n\
         steps (APDUs)                   {steps}\n\
         software time, instant link     median {tm:.2} ms   p95 {tp:.2} ms   (goal < {g1} ms: {m1})\n\
         {ind}of which read                 median {rm:.2} ms   p95 {rp:.2} ms\n\
         {ind}of which PA                   median {pm:.2} ms   p95 {pp:.2} ms\n\
         modelled wall time, 424 kbit/s + 5 ms/APDU\n\
         {ind}whole read                    {mw:.0} ms\n\
         {ind}DG2 read                      {md:.0} ms   (goal < {g2} ms: {m2})\n\
         {vpcd_table}",
        ind = "  ",
        n = args.iterations,
        fb = fx.face_bytes,
        fw = fx.face_size.0,
        fh = fx.face_size.1,
        dg2b = dg2_file_bytes,
        dg2a = dg2_apdus,
        apdus = typical.apdus,
        bytes = typical.bytes,
        steps = steps.join(", "),
        g1 = GOAL_DOC_SOFTWARE_MS,
        m1 = meets(tm, GOAL_DOC_SOFTWARE_MS),
        mw = ms(typical.modelled),
        md = ms(dg2_modelled),
        g2 = GOAL_DG2_MODELLED_MS,
        m2 = meets(ms(dg2_modelled), GOAL_DG2_MODELLED_MS),
        vpcd_table = vpcd_table(vpcd.as_ref(), args, model_wall, ms(typical.modelled), rm, typical.apdus),
    );
    let json = json!({
        "iterations": args.iterations,
        "face_jpeg_bytes": fx.face_bytes,
        "dg2_bytes": dg2_file_bytes,
        "dg2_apdus": dg2_apdus,
        "apdus": typical.apdus,
        "bytes": typical.bytes,
        "aa_run": u8::from(aa),
        "ca_run": u8::from(ca),
        "software_ms_median": tm,
        "software_ms_p95": tp,
        "software_ms_mean": ms(t.mean),
        "read_ms_median": rm,
        "pa_ms_median": pm,
        "modelled_ms": ms(typical.modelled),
        "dg2_modelled_ms": ms(dg2_modelled),
        "goal_software_ms": GOAL_DOC_SOFTWARE_MS,
        "goal_dg2_modelled_ms": GOAL_DG2_MODELLED_MS,
        "model_read_ms": model_wall,
    });
    let mut json = json;
    if let Some(v) = &vpcd {
        let measured = ms(v.median());
        json["vpcd_reads"] = json!(v.walls.len());
        json["vpcd_read_ms_median"] = json!(measured);
        json["vpcd_read_ms_min"] = json!(v.walls.first().map_or(0.0, |d| ms(*d)));
        json["vpcd_read_ms_max"] = json!(v.walls.last().map_or(0.0, |d| ms(*d)));
        json["vpcd_apdus"] = json!(v.apdus);
        json["vpcd_model_ratio"] = json!(measured / model_wall);
        json["vpcd_tcp_nodelay"] = json!(u8::from(v.socket.nodelay));
        json["vpcd_messages"] = json!(v.acks.messages);
        json["vpcd_messages_in_quickack"] = json!(v.acks.quickack);
        json["goal_vpcd_ratio_deviation"] = json!(GOAL_VPCD_RATIO_DEVIATION);
    }
    Ok(Report { table, json })
}

/// The lines of `bench doc` about the read through pcscd + vpcd.
fn vpcd_table(
    vpcd: Option<&super::link::VpcdFigures>,
    args: &BenchArgs,
    model_wall: f64,
    modelled: f64,
    software: f64,
    apdus: u64,
) -> String {
    let ind = "  ";
    let Some(v) = vpcd else {
        return format!(
            "through pcscd + vpcd                not run (add --vpcd 127.0.0.1:35963 beside pcscd with \
             vpcd, e.g. under scripts/with-pcscd.sh)\n\
             {ind}in-process model of the read  {model_wall:.0} ms ({modelled:.0} ms link + {software:.1} ms software)\n"
        );
    };
    let measured = ms(v.median());
    let ratio = measured / model_wall;
    let within = (ratio - 1.0).abs() <= GOAL_VPCD_RATIO_DEVIATION;
    let on = |b: bool| if b { "on" } else { "OFF" };
    format!(
        "whole read, same link model, in-process and through pcscd + vpcd ({reader}, {n} reads)\n\
         {ind}in-process model              {model_wall:>6.0} ms   ({modelled:.0} ms link + {software:.1} ms software, {apdus} APDUs)\n\
         {ind}pcscd + vpcd, measured        {measured:>6.0} ms   median (min {lo:.0}, max {hi:.0}; {va} APDUs)\n\
         {ind}ratio measured / model        {ratio:>6.3}      (goal within ±{goal:.0} %: {ok})\n\
         {ind}card socket (getsockopt)      TCP_NODELAY {nd}; TCP_QUICKACK set at {qa} of {msgs} messages from vpcd\n",
        reader = args.vpcd_reader,
        n = v.walls.len(),
        lo = v.walls.first().map_or(0.0, |d| ms(*d)),
        hi = v.walls.last().map_or(0.0, |d| ms(*d)),
        va = v.apdus,
        goal = GOAL_VPCD_RATIO_DEVIATION * 100.0,
        ok = if within { "yes" } else { "NO" },
        nd = on(v.socket.nodelay),
        qa = v.acks.quickack,
        msgs = v.acks.messages,
    )
}

/// Modelled time of the DG2 step: its APDUs' turnaround plus its bytes on the air, with the
/// per-APDU protocol overhead of the whole read.
fn dg2_modelled_time(read: &Read, dg2_apdus: u32, dg2_file_bytes: usize) -> Duration {
    let link = LinkModel::TYPICAL;
    if dg2_apdus == 0 || read.apdus == 0 || link.bit_rate == 0 {
        return Duration::ZERO;
    }
    let file_total: u64 = read
        .doc
        .stats
        .steps
        .iter()
        .map(|s| s.file_bytes as u64)
        .sum();
    let overhead_per_apdu = read.bytes.saturating_sub(file_total) / read.apdus;
    let bytes = dg2_file_bytes as u64 + overhead_per_apdu * u64::from(dg2_apdus);
    link.turnaround * dg2_apdus
        + Duration::from_secs_f64(bytes as f64 * 8.0 / f64::from(link.bit_rate))
}

// ---------------------------------------------------------------------------------------
// The passage's software share.

/// A temporary audit trail, removed on drop.
struct TempTrail(PathBuf);

impl TempTrail {
    fn new(dir: &Path, tag: &str) -> Result<TempTrail, BenchError> {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = dir.join(format!(
            "egate-bench-{}-{nanos}-{tag}.jsonl",
            std::process::id()
        ));
        Ok(TempTrail(path))
    }
}

impl Drop for TempTrail {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(audit::checkpoints_path(&self.0));
    }
}

pub(super) fn bench_passage(args: &BenchArgs) -> Result<Report, BenchError> {
    let fx = fixture(args)?;
    let dir = args.audit_dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&dir).map_err(|source| BenchError::Io {
        path: dir.clone(),
        source,
    })?;
    let trail = TempTrail::new(&dir, "trail")?;
    let audit = AuditLog::open(&trail.0, "bench", &audit::AuditKey::from_bytes(&[0; 32]))?;
    let t0 = Instant::now();
    read_once(&fx, LinkModel::INSTANT)?; // warm-up
    let (mut reads, mut pas, mut machines, mut records, mut appends, mut totals) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut events = 0;
    for _ in 0..args.iterations {
        let r = read_once(&fx, LinkModel::INSTANT)?;
        let start = Instant::now();
        let lane = std::hint::black_box(whole_passage(t0)?);
        let machine = start.elapsed();
        // Mapping the gate's audit events to the trail's records is software; appending
        // them (write + fsync) is disk time, measured on its own.
        let start = Instant::now();
        let recs: Vec<(&'static str, Value)> = lane
            .audits()
            .map(crate::lane::driver::audit_record)
            .collect();
        let record = start.elapsed();
        let start = Instant::now();
        for (kind, data) in &recs {
            audit.append(kind, data)?;
        }
        let append = start.elapsed();
        events = recs.len();
        reads.push(r.read_time);
        pas.push(r.pa_time);
        machines.push(machine);
        records.push(record);
        appends.push(append);
        totals.push(r.read_time + r.pa_time + machine + record);
    }
    drop(audit);
    let (r, p, m, rec, a, t) = (
        Summary::of(&mut reads),
        Summary::of(&mut pas),
        Summary::of(&mut machines),
        Summary::of(&mut records),
        Summary::of(&mut appends),
        Summary::of(&mut totals),
    );
    let per_append = if events == 0 {
        Duration::ZERO
    } else {
        a.median / events as u32
    };
    let ((rm, rp), (pm, pp), (mm, mp)) = (median_p95_ms(&r), median_p95_ms(&p), median_p95_ms(&m));
    let ((cm, cp), (tm, tp), (am, ap)) =
        (median_p95_ms(&rec), median_p95_ms(&t), median_p95_ms(&a));
    let table = format!(
        "egate bench passage — software share of a two-step passage (no hardware, traveller, face models)\n\
         iterations                      {n}\n\
         component                          median        p95\n\
         document read (instant link)     {rm:>8.2} ms  {rp:>8.2} ms\n\
         passive authentication           {pm:>8.2} ms  {pp:>8.2} ms\n\
         gate state machine, a passage    {mm:>8.3} ms  {mp:>8.3} ms\n\
         audit records ({ev:>2} events)        {cm:>8.3} ms  {cp:>8.3} ms\n\
         software total                   {tm:>8.2} ms  {tp:>8.2} ms   (goal < {g} ms: {ok})\n\
         audit appends, write + fsync     {am:>8.2} ms  {ap:>8.2} ms   (disk time, not in the total; {pa:.2} ms per record, {dir})\n",
        n = args.iterations,
        ev = events,
        g = GOAL_PASSAGE_MS,
        ok = meets(tp, GOAL_PASSAGE_MS),
        pa = ms(per_append),
        dir = dir.display(),
    );
    let json = json!({
        "iterations": args.iterations,
        "read_ms_median": rm,
        "pa_ms_median": pm,
        "gate_ms_median": mm,
        "audit_record_ms_median": cm,
        "software_ms_median": tm,
        "software_ms_p95": tp,
        "audit_events": events,
        "audit_append_fsync_ms_median": am,
        "audit_append_fsync_ms_p95": ap,
        "goal_software_ms": GOAL_PASSAGE_MS,
    });
    Ok(Report { table, json })
}
