//! The trust store of a running gate: loading, CRL freshness, reload and its alarms.

use super::*;
use sim::factory::pki::{crl, TestPki};
use sim::factory::DateTime;

fn at(y: u16, m: u8, d: u8) -> SystemTime {
    // Noon UTC of the day, from the days-since-epoch of iso_date's inverse.
    let mut t = UNIX_EPOCH;
    while iso_date(t) != format!("{y:04}-{m:02}-{d:02}") {
        t += Duration::from_secs(86_400);
    }
    t + Duration::from_secs(12 * 3600)
}

/// A store folder with the test PKI's CSCA named in `[pki] csca` and `crl` in crls/.
fn setup(crl_bytes: &[u8], pki_cfg: impl FnOnce(&mut PkiConfig)) -> (tempfile::TempDir, PkiConfig) {
    let pki = TestPki::generate("egate-trust", "DE");
    let dir = tempfile::tempdir().unwrap();
    let csca = dir.path().join("csca.der");
    std::fs::write(&csca, &pki.csca.der).unwrap();
    std::fs::create_dir_all(dir.path().join(STORE_CRLS)).unwrap();
    std::fs::write(dir.path().join(STORE_CRLS).join("de.crl"), crl_bytes).unwrap();
    let mut cfg = PkiConfig {
        csca: vec![csca],
        store_dir: dir.path().to_path_buf(),
        ..PkiConfig::default()
    };
    pki_cfg(&mut cfg);
    (dir, cfg)
}

#[test]
fn iso_dates() {
    assert_eq!(iso_date(UNIX_EPOCH), "1970-01-01");
    assert_eq!(
        iso_date(UNIX_EPOCH + Duration::from_secs(951_782_400)),
        "2000-02-29"
    );
}

/// RFC 5280 §5.1.2.5: past nextUpdate a CRL may miss revocations. Within the grace it
/// only alarms; past the grace it refers, unless the CSCA's country is set to alarm.
#[test]
fn a_stale_crl_refers_as_configured_per_country() {
    let pki = TestPki::generate("egate-trust", "DE");
    let issuer = Certificate::from_der(&pki.csca.der).unwrap().subject();
    let old = crl(
        &pki.csca,
        &[],
        DateTime::date(2026, 1, 1),
        DateTime::date(2026, 3, 1),
    );
    let (_d, cfg) = setup(&old, |_| {});
    let (trust, _) = Trust::load(&cfg, None).unwrap();
    let store = trust.store();
    // Before nextUpdate, within the 24 h grace, and past it.
    assert!(!trust.crl_stale_refers(&store, &issuer, None, at(2026, 2, 1)));
    assert!(!trust.crl_stale_refers(&store, &issuer, None, at(2026, 3, 1)));
    assert!(trust.crl_stale_refers(&store, &issuer, None, at(2026, 3, 3)));
    let late = trust.late_crls(at(2026, 3, 1));
    assert_eq!(late, vec![(issuer.clone(), CrlFreshness::Overdue)]);
    let st = trust.status(at(2026, 3, 3));
    assert_eq!(
        (st.crls, st.crl_freshness.as_str(), st.ok),
        (1, "stale", false)
    );
    // The CRL's nextUpdate is past: the next expiry is a certificate's.
    let next = st.next_expiry.unwrap();
    assert!(next.as_str() > "2026-03-03", "{next}");
    assert_eq!(
        trust.status(at(2026, 2, 1)).next_expiry.as_deref(),
        Some("2026-03-01")
    );
    // Another issuer's documents are not touched by this CRL.
    assert!(!trust.crl_stale_refers(&store, "CN=other,C=FR", None, at(2026, 3, 3)));

    // DE set to alarm only; and the default set to alarm with DE set to refer.
    let (_d, cfg) = setup(&old, |c| c.crl_stale_alarm_countries = vec!["DE".into()]);
    let (trust, _) = Trust::load(&cfg, None).unwrap();
    assert!(!trust.crl_stale_refers(&trust.store(), &issuer, None, at(2026, 3, 3)));
    let (_d, cfg) = setup(&old, |c| {
        c.crl_stale = CrlStaleAction::Alarm;
        c.crl_stale_refer_countries = vec!["DE".into()];
    });
    let (trust, _) = Trust::load(&cfg, None).unwrap();
    assert!(trust.crl_stale_refers(&trust.store(), &issuer, None, at(2026, 3, 3)));
    // A longer grace.
    let (_d, cfg) = setup(&old, |c| c.crl_grace_hours = 24 * 7);
    let (trust, _) = Trust::load(&cfg, None).unwrap();
    assert!(!trust.crl_stale_refers(&trust.store(), &issuer, None, at(2026, 3, 5)));
    assert!(trust.crl_stale_refers(&trust.store(), &issuer, None, at(2026, 3, 9)));
}

/// The newest CRL of an issuer decides: a fresh one supersedes a stale one.
#[test]
fn a_newer_crl_supersedes_a_stale_one() {
    let pki = TestPki::generate("egate-trust", "DE");
    let issuer = Certificate::from_der(&pki.csca.der).unwrap().subject();
    let old = crl(
        &pki.csca,
        &[],
        DateTime::date(2026, 1, 1),
        DateTime::date(2026, 3, 1),
    );
    let (d, cfg) = setup(&old, |_| {});
    let new = crl(
        &pki.csca,
        &[],
        DateTime::date(2026, 3, 1),
        DateTime::date(2026, 6, 1),
    );
    std::fs::write(d.path().join(STORE_CRLS).join("de-new.crl"), new).unwrap();
    let (trust, _) = Trust::load(&cfg, None).unwrap();
    assert!(!trust.crl_stale_refers(&trust.store(), &issuer, None, at(2026, 4, 1)));
    assert_eq!(trust.status(at(2026, 4, 1)).crl_freshness, "current");
}

/// A bad file keeps the last good set; the error names the file and the field, and the
/// console's status carries it until a good set loads again.
#[test]
fn a_bad_file_keeps_the_last_good_set() {
    let pki = TestPki::generate("egate-trust", "DE");
    let (d, cfg) = setup(&pki.crl, |_| {});
    let (trust, _) = Trust::load(&cfg, None).unwrap();
    let before = trust.store();
    assert_eq!(before.crls().len(), 1);
    let bad = d.path().join(STORE_CRLS).join("zz.crl");
    let mut forged = pki.crl.clone();
    let n = forged.len();
    forged[n - 2] ^= 1;
    std::fs::write(&bad, forged).unwrap();
    assert_ne!(trust.fingerprint(), Vec::new());
    let err = trust.reload().unwrap_err();
    assert!(
        err.contains("zz.crl") && err.contains("CertificateList.signatureValue"),
        "{err}"
    );
    assert!(
        Arc::ptr_eq(&before, &trust.store()),
        "the store was replaced"
    );
    let st = trust.status(SystemTime::now());
    assert!(!st.ok && st.detail.contains("zz.crl"), "{st:?}");
    std::fs::remove_file(&bad).unwrap();
    trust.reload().unwrap();
    assert!(!Arc::ptr_eq(&before, &trust.store()));
    assert!(trust.status(SystemTime::now()).ok);
}

/// The watcher sees a new file, a changed file and a removed one; temporary files of an
/// atomic write (dot files) are not trust files.
#[test]
fn the_fingerprint_follows_the_store() {
    let pki = TestPki::generate("egate-trust", "DE");
    let (d, cfg) = setup(&pki.crl, |_| {});
    let (trust, _) = Trust::load(&cfg, None).unwrap();
    let a = trust.fingerprint();
    std::fs::write(d.path().join(STORE_CRLS).join(".x.crl.tmp"), b"partial").unwrap();
    assert_eq!(trust.fingerprint(), a);
    std::fs::write(d.path().join(STORE_CRLS).join("more.crl"), &pki.crl).unwrap();
    let b = trust.fingerprint();
    assert_ne!(b, a);
    std::fs::remove_file(d.path().join(STORE_CRLS).join("more.crl")).unwrap();
    assert_eq!(trust.fingerprint(), a);
}

/// The watcher raises `trust_list_invalid` on the console link when a file goes bad,
/// shows it in the gate's trust status, and writes both outcomes to the audit trail.
#[tokio::test]
async fn the_watcher_alarms_on_a_bad_file_and_reloads_a_good_one() {
    let pki = TestPki::generate("egate-trust", "DE");
    let (d, cfg) = setup(&pki.crl, |c| c.reload_interval_s = 0.1);
    let (trust, _) = Trust::load(&cfg, None).unwrap();
    let (link, _rx) =
        console::link::LocalGate::new(console::link::GateStatus::idle("g1", "not-checked"));
    let mut events = console::link::GateLink::subscribe(&*link);
    let trail = d.path().join("audit.jsonl");
    let audit = Arc::new(Mutex::new(
        audit::AuditLog::open(&trail, "g1", &audit::AuditKey::from_bytes(&[7; 32])).unwrap(),
    ));
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let task = watch(
        trust.clone(),
        TrustReport {
            links: vec![link.clone()],
            audit: audit.clone(),
        },
        shutdown,
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shown = console::link::GateLink::status(&*link)
        .unwrap()
        .trust
        .unwrap();
    assert!(shown.ok && shown.crls == 1, "{shown:?}");
    std::fs::write(d.path().join(STORE_CRLS).join("bad.crl"), b"not a CRL").unwrap();
    let alarm = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(e) = events.recv().await {
                if let console::link::GateEventKind::Alarm { reason, .. } = e.kind {
                    return reason;
                }
            }
        }
    })
    .await
    .expect("no alarm within 5 s");
    assert_eq!(alarm, "trust_list_invalid");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shown = console::link::GateLink::status(&*link)
        .unwrap()
        .trust
        .unwrap();
    assert!(!shown.ok && shown.detail.contains("bad.crl"), "{shown:?}");
    std::fs::remove_file(d.path().join(STORE_CRLS).join("bad.crl")).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let shown = console::link::GateLink::status(&*link)
        .unwrap()
        .trust
        .unwrap();
    assert!(shown.ok, "{shown:?}");
    stop.send(true).unwrap();
    task.await.unwrap();
    let text = std::fs::read_to_string(&trail).unwrap();
    assert!(text.contains("\"kind\":\"trust_reload_failed\""), "{text}");
    assert!(text.contains("\"kind\":\"trust_reloaded\""), "{text}");
}

/// Deviation lists in the store load with the rest; a tampered one fails the reload naming
/// the file and the field, and the last good set (with its list) stays.
#[test]
fn deviation_lists_load_from_the_store_and_a_bad_one_keeps_the_last_good_set() {
    let pki = TestPki::generate("egate-trust", "DE");
    let (d, cfg) = setup(&pki.crl, |_| {});
    let dir = d.path().join(STORE_DEVIATION_LISTS);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("de.dl"), pki.sample_deviation_list()).unwrap();
    let (trust, notes) = Trust::load(&cfg, None).unwrap();
    assert_eq!(trust.store().deviation_lists().len(), 1);
    assert!(
        notes.iter().any(|n| n.contains("de.dl: deviation list")),
        "{notes:?}"
    );
    let before = trust.store();
    let mut tampered = pki.sample_deviation_list();
    let at = tampered
        .windows(5)
        .position(|w| w == [0xA0, 0x03, 0x02, 0x01, 11])
        .unwrap();
    tampered[at + 4] = 12;
    std::fs::write(dir.join("zz.dl"), tampered).unwrap();
    let err = trust.reload().unwrap_err();
    assert!(
        err.contains("zz.dl") && err.contains("messageDigest"),
        "{err}"
    );
    assert!(Arc::ptr_eq(&before, &trust.store()));
    assert_eq!(trust.store().deviation_lists().len(), 1);
}
