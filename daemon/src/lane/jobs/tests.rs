//! Tests of the jobs: chip reads on dead and virtual readers, device faults, MRZ fields.
use super::*;

#[test]
fn document_kinds_come_from_the_document_code() {
    use gate::DocumentKind as K;
    for (code, kind) in [
        ("P<", K::Passport),
        ("PD", K::Passport),
        ("I<", K::IdentityCard),
        ("ID", K::IdentityCard),
        ("IR", K::ResidencePermit),
        ("AR", K::ResidencePermit),
        ("AC", K::Other),
        ("V<", K::Other),
        ("", K::Other),
    ] {
        assert_eq!(document_kind(code), kind, "{code}");
    }
}

#[test]
fn every_chip_authenticity_reason_is_a_gate_reason_code() {
    for r in document::authenticity::REASONS {
        assert!(gate::ReasonCode::from_name(r).is_some(), "{r}");
    }
}

#[test]
fn country_codes_get_their_fillers_back() {
    assert_eq!(country("D").map(|c| c.to_string()), Some("D<<".into()));
    assert_eq!(country("UTO").map(|c| c.to_string()), Some("UTO".into()));
    assert_eq!(country("d1"), None);
}

#[test]
fn mrz_dates_get_their_century() {
    assert_eq!(yymmdd("740812", true), CivilDate::new(1974, 8, 12).ok());
    assert_eq!(yymmdd("120415", true), CivilDate::new(2012, 4, 15).ok());
    assert_eq!(yymmdd("340415", false), CivilDate::new(2034, 4, 15).ok());
    assert_eq!(yymmdd("34041", false), None);
    assert_eq!(yymmdd("341345", false), None);
}

struct DeadReader;
impl ChipLink for DeadReader {
    fn read(&self, _key: &AccessKey) -> Result<ReadDocument, ChipError> {
        Err(ChipError::Reader("no such reader".into()))
    }
}
struct NoCamera;
impl Camera for NoCamera {
    fn frames(&self) -> Result<Box<dyn vision::source::FrameSource>, String> {
        Err("cannot open".into())
    }
}

fn context(chip: Box<dyn ChipLink>) -> (JobContext, mpsc::UnboundedReceiver<Input>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (link, _officer) = LocalGate::new(console::link::GateStatus::idle("t", "not-checked"));
    let ctx = JobContext {
        passage: Mutex::new(PassageData::default()),
        inputs: tx,
        trust: crate::lane::trust::Trust::fixed(document::pki::CscaStore::new()),
        pseudonyms: Arc::new(Pseudonymizer::from_key(&[7; 32])),
        vision: None,
        link,
        chip,
        camera: Box::new(NoCamera),
        borderdb: Box::new(NoBorderDb),
        sources: Default::default(),
        ees: EesStep::off(),
        ees_pending: Mutex::new(None),
        audit: None,
        faults: Default::default(),
        screen: traveller::Screens::new(traveller::Settings::built_in("1")).lane("t"),
        metrics: None,
        pad: crate::lane::pad::PadLink::new(None, std::time::Duration::ZERO),
    };
    (ctx, rx)
}

const TD3: &str =
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10";

#[test]
fn a_dead_reader_is_one_device_fault_and_the_document_is_refused() {
    let (ctx, mut rx) = context(Box::new(DeadReader));
    for _ in 0..2 {
        ctx.begin_passage(Zeroizing::new(TD3.into()));
        assert_eq!(
            chip_job(&ctx),
            gate::DocumentVerdict::Refused(gate::ReasonCode::ChipReadFailed)
        );
    }
    // Reported once, not at every read.
    assert_eq!(
        rx.try_recv().ok(),
        Some(Input::Sensor(gate::SensorEvent::DeviceFault(
            gate::Device::DocumentReader
        )))
    );
    assert!(rx.try_recv().is_err());
}

/// A virtual passport of `sim/profiles`, read in process by the production reader.
#[cfg(feature = "sim")]
struct VirtualPassport(sim::chip::ChipSpec);

#[cfg(feature = "sim")]
impl ChipLink for VirtualPassport {
    fn read(&self, key: &AccessKey) -> Result<ReadDocument, ChipError> {
        let card = sim::inprocess::InProcessCard::new(
            sim::chip::VirtualChip::new(self.0.clone()),
            sim::chip::LinkModel::INSTANT,
        );
        document::reader::read_document(card, key, Default::default())
            .map_err(|e| ChipError::Document(e.to_string()))
    }
}

/// The chip job on a profile: its verdict and the metrics text afterwards.
#[cfg(feature = "sim")]
fn chip_job_on(profile: &str) -> (gate::DocumentVerdict, String) {
    use prometheus::Encoder;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sim/profiles")
        .join(profile);
    let p = sim::factory::profile::Profile::load(&path).unwrap();
    let pki = sim::factory::pki::TestPki::generate(&p.pki_seed, &p.pki_country);
    let doc = sim::factory::build(&p.document, &pki);
    let (mut ctx, _rx) = context(Box::new(VirtualPassport(doc.chip)));
    let csca = document::pki::Certificate::from_der(&pki.csca.der).unwrap();
    let mut store = document::pki::CscaStore::new();
    store.add_certificate(csca);
    store.add_crl(&pki.crl).unwrap();
    ctx.trust = crate::lane::trust::Trust::fixed(store);
    let registry = prometheus::Registry::new();
    ctx.metrics = Some(
        crate::lane::metrics::Metrics::register(&registry)
            .unwrap()
            .for_gate("g"),
    );
    ctx.begin_passage(Zeroizing::new(doc.printed_mrz.clone()));
    let verdict = chip_job(&ctx);
    let mut text = Vec::new();
    prometheus::TextEncoder::new()
        .encode(&registry.gather(), &mut text)
        .unwrap();
    (verdict, String::from_utf8(text).unwrap())
}

#[cfg(feature = "sim")]
#[test]
fn a_chip_that_ends_its_session_is_read_and_its_recoveries_counted() {
    let (verdict, metrics) = chip_job_on("sm-ends-on-plain-status.toml");
    let gate::DocumentVerdict::Read(facts) = verdict else {
        panic!("{verdict:?}");
    };
    assert_eq!(facts.chip_auth, gate::ChipAuthOutcome::Passed);
    assert_eq!(facts.chip_refusal, None);
    assert_eq!(facts.pa, gate::PaOutcome::Trusted);
    assert!(
        metrics.contains("egate_chip_read_recoveries_total{gate=\"g\",status=\"6700\"} 2"),
        "{metrics}"
    );
}

#[cfg(feature = "sim")]
#[test]
fn a_clone_is_read_and_refused_with_its_reason() {
    let (verdict, _) = chip_job_on("bad/clone-aa-signature-wrong.toml");
    let gate::DocumentVerdict::Read(facts) = verdict else {
        panic!("{verdict:?}");
    };
    assert_eq!(facts.chip_auth, gate::ChipAuthOutcome::Failed);
    assert_eq!(
        facts.chip_refusal,
        Some(gate::ReasonCode::ChipAuthInconsistent)
    );
}

#[test]
fn a_camera_that_cannot_open_is_a_device_fault() {
    let (ctx, mut rx) = context(Box::new(DeadReader));
    ctx.device(gate::Device::Camera, true);
    assert_eq!(
        rx.try_recv().ok(),
        Some(Input::Sensor(gate::SensorEvent::DeviceFault(
            gate::Device::Camera
        )))
    );
    ctx.device(gate::Device::Camera, false);
    assert_eq!(
        rx.try_recv().ok(),
        Some(Input::Sensor(gate::SensorEvent::DeviceRecovered(
            gate::Device::Camera
        )))
    );
}
