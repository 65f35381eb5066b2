//! Scenario tests in virtual time: a genuine passage in both layouts and every exception
//! in Frontex's catalogue (tailgating, minors, chip anomalies, a database hit, failed
//! biometric verification, failed PA, non-cooperative behaviour, system malfunction,
//! emergency), plus officers, mains loss, stale tickets and shutdown. Every step of every
//! scenario is also checked against the safety model by the harness.

mod harness;

use std::time::Duration;

use gate::{
    AttemptRecord, AuditEvent, BorderDbResult, CivilDate, Command, Device, DocumentVerdict,
    DoorAction, DoorId, FaceVerdict, GateConfig, Input, Liveness, LivenessMode, MessageCode,
    OccupancyAction, OfficerCommand, PaOutcome, PadVerdict, PassageOutcome, Phase, ReasonCode,
    ReferralRoute, SensorEvent, Step, Zone,
};
use harness::{facts, today, Lane, LIVE, MATCH, NO_MATCH};

fn referred(lane: &Lane) -> Option<ReasonCode> {
    lane.outcomes().iter().find_map(|o| match o {
        PassageOutcome::Referred(r) => Some(*r),
        _ => None,
    })
}

/// The exit is open for the traveller, who walks out: the passage is accepted.
fn walks_out_accepted(lane: &mut Lane) {
    assert_eq!(lane.gate.phase(), Phase::Exiting);
    lane.walk_out();
    assert_eq!(lane.outcomes(), vec![PassageOutcome::Accepted]);
}

/// A genuine passage, seen from a fresh log: accepted with these door commands, and the
/// lane idle again.
fn genuine_passage_with_doors(lane: &mut Lane, doors: &[(DoorId, DoorAction)]) {
    lane.clear_log();
    lane.genuine_passage();
    assert_eq!(lane.outcomes(), vec![PassageOutcome::Accepted]);
    assert_eq!(lane.doors(), doors);
    assert_eq!(lane.gate.phase(), Phase::Idle);
}

/// Feeds a safety `event`; checks the phase it leads to and each door's last command.
fn safety_input(lane: &mut Lane, event: SensorEvent, phase: Phase, doors: &[(DoorId, DoorAction)]) {
    lane.sensor(event);
    assert_eq!(lane.gate.phase(), phase);
    for &(door, action) in doors {
        assert_eq!(lane.door(door), Some(action), "{door:?}");
    }
}

// ---- genuine passages ---------------------------------------------------------------

#[test]
fn genuine_passage_two_step() {
    let mut lane = Lane::two_step();
    genuine_passage_with_doors(
        &mut lane,
        &[
            (DoorId::Entry, DoorAction::Open),
            (DoorId::Entry, DoorAction::Close),
            (DoorId::Exit, DoorAction::Open),
            (DoorId::Exit, DoorAction::Close),
        ],
    );
    assert!(lane.alarms().is_empty());
    let liveness = lane.audits().into_iter().find_map(|e| match e {
        AuditEvent::PassageEnded { liveness, .. } => Some(*liveness),
        _ => None,
    });
    assert_eq!(liveness, Some(Liveness::Checked));
    // One transaction per step, each with one attempt.
    let transactions: Vec<Step> = lane
        .audits()
        .into_iter()
        .filter_map(|e| match e {
            AuditEvent::Transaction {
                step,
                failure: None,
                attempts: 1,
                ..
            } => Some(*step),
            _ => None,
        })
        .collect();
    assert_eq!(
        transactions,
        vec![Step::DocumentRead, Step::BorderDb, Step::Face]
    );
    let c = lane.gate.counters();
    assert_eq!(
        (c.passages, c.accepted, c.attempts, c.transactions),
        (1, 1, 3, 3)
    );
    // The next traveller can start at once.
    lane.genuine_passage();
    assert_eq!(lane.gate.counters().accepted, 2);
}

#[test]
fn genuine_passage_one_step() {
    genuine_passage_with_doors(
        &mut Lane::one_step(),
        &[
            (DoorId::Exit, DoorAction::Open),
            (DoorId::Exit, DoorAction::Close),
        ],
    );
}

#[test]
fn liveness_not_checked_is_explicit_and_recorded_on_every_passage() {
    let mut lane = Lane::two_step_with(|c| c.liveness = LivenessMode::NotChecked);
    lane.genuine_passage();
    // A referred passage too.
    lane.present();
    lane.chip(DocumentVerdict::Refused(ReasonCode::PaFailed));
    lane.walk_back();
    assert!(!lane
        .log
        .iter()
        .any(|c| matches!(c, Command::StartPad { .. })));
    let records: Vec<Liveness> = lane
        .audits()
        .into_iter()
        .filter_map(|e| match e {
            AuditEvent::PassageEnded { liveness, .. } => Some(*liveness),
            _ => None,
        })
        .collect();
    assert_eq!(records, vec![Liveness::NotChecked, Liveness::NotChecked]);
}

// ---- tailgating ---------------------------------------------------------------------

#[test]
fn tailgating_two_people_in_the_mantrap_are_sent_back() {
    let mut lane = Lane::two_step();
    lane.document_ok(facts());
    lane.zone(Zone::B, true);
    lane.sensor(SensorEvent::PersonCount(2));
    assert_eq!(referred(&lane), Some(ReasonCode::Tailgating));
    assert!(lane.alarms().contains(&ReasonCode::Tailgating));
    assert!(lane.messages().contains(&MessageCode::OnePersonOnly));
    assert_eq!(lane.gate.phase(), Phase::Referred);
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Open));
    // Both walk back out; the entry closes behind them.
    lane.sensor(SensorEvent::PersonCount(0));
    lane.walk_back();
    assert_eq!(lane.gate.phase(), Phase::Idle);
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Close));
    assert_eq!(lane.exit_opens(), 0);
}

#[test]
fn tailgating_someone_following_into_the_closing_entry() {
    let mut lane = Lane::two_step();
    lane.echo_doors = false; // the entry is still moving
    lane.document_ok(facts());
    lane.walk_in();
    assert_eq!(lane.gate.phase(), Phase::ClosingEntry);
    lane.zone(Zone::A, true);
    assert_eq!(referred(&lane), Some(ReasonCode::Tailgating));
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Open));
    assert_eq!(lane.exit_opens(), 0);
}

#[test]
fn tailgating_policy_can_only_alarm() {
    let mut lane = Lane::two_step_with(|c| c.occupancy.tailgating = OccupancyAction::Alarm);
    lane.document_ok(facts());
    lane.walk_in();
    lane.sensor(SensorEvent::MultiplePersons(true));
    assert!(lane.alarms().contains(&ReasonCode::Tailgating));
    assert_eq!(lane.gate.phase(), Phase::Verifying);
}

// ---- minors -------------------------------------------------------------------------

#[test]
fn minors_under_the_minimum_age_are_referred_before_the_entry() {
    let mut lane = Lane::two_step();
    let mut child = facts();
    child.birth_date = Some(CivilDate::new(2016, 1, 1).expect("date"));
    lane.read(child);
    assert_eq!(referred(&lane), Some(ReasonCode::Underage));
    assert!(!lane.doors().contains(&(DoorId::Entry, DoorAction::Open)));
    assert!(lane.messages().contains(&MessageCode::SeeOfficer));
    lane.zone(Zone::A, false);
    assert_eq!(lane.gate.phase(), Phase::Idle);
}

#[test]
fn minors_a_child_detected_with_an_adult_is_referred() {
    let mut lane = Lane::in_the_mantrap();
    lane.sensor(SensorEvent::ChildDetected(true));
    assert_eq!(referred(&lane), Some(ReasonCode::ChildDetected));
    assert_eq!(lane.exit_opens(), 0);
}

// ---- chip anomalies -----------------------------------------------------------------

#[test]
fn chip_anomaly_a_failed_read_is_retried_then_succeeds() {
    let mut lane = Lane::two_step();
    lane.present();
    lane.chip(DocumentVerdict::Refused(ReasonCode::ChipReadFailed));
    assert_eq!(lane.gate.phase(), Phase::ReadingDocument);
    assert!(lane.messages().contains(&MessageCode::PresentDocumentAgain));
    lane.chip(DocumentVerdict::Read(facts()));
    lane.borderdb(BorderDbResult::Clear);
    assert_eq!(lane.gate.phase(), Phase::Entering);
}

#[test]
fn chip_anomaly_unreadable_chip_is_referred_after_the_attempts() {
    let mut lane = Lane::two_step();
    lane.present();
    lane.chip(DocumentVerdict::Refused(ReasonCode::ChipReadFailed));
    lane.chip(DocumentVerdict::Refused(ReasonCode::ChipReadFailed));
    assert_eq!(referred(&lane), Some(ReasonCode::ChipReadFailed));
    let failed: Vec<u8> = lane
        .audits()
        .into_iter()
        .filter_map(|e| match e {
            AuditEvent::Attempt(AttemptRecord {
                step: Step::DocumentRead,
                attempt,
                failure: Some(_),
                ..
            }) => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec![1, 2]);
}

#[test]
fn chip_anomaly_mrz_dg1_mismatch_and_clone() {
    let mut lane = Lane::two_step();
    let mut f = facts();
    f.mrz_matches_dg1 = false;
    lane.read(f);
    assert_eq!(referred(&lane), Some(ReasonCode::MrzDg1Mismatch));
    lane.zone(Zone::A, false);

    let mut lane = Lane::two_step();
    let mut f = facts();
    f.chip_auth = gate::ChipAuthOutcome::Failed;
    lane.read(f);
    assert_eq!(referred(&lane), Some(ReasonCode::ChipAuthFailed));
}

#[test]
fn chip_anomaly_a_silent_reader_times_out() {
    let mut lane = Lane::two_step();
    lane.present();
    let first = lane.chip_ticket();
    lane.run_to_deadline();
    assert_eq!(lane.gate.phase(), Phase::ReadingDocument);
    assert!(lane.log.contains(&Command::CancelJob { ticket: first }));
    lane.run_to_deadline();
    assert_eq!(referred(&lane), Some(ReasonCode::ChipReadTimeout));
    assert_eq!(lane.elapsed(), Duration::from_secs(20));
    // The late answer of the first read is dropped as stale.
    lane.feed(Input::DocumentVerdict {
        ticket: first,
        verdict: DocumentVerdict::Read(facts()),
    });
    assert_eq!(lane.gate.counters().stale_results, 1);
}

// ---- database hit -------------------------------------------------------------------

#[test]
fn database_hit_refers_without_telling_the_traveller() {
    let mut lane = Lane::checking_borderdb();
    lane.borderdb(BorderDbResult::Hit);
    assert_eq!(referred(&lane), Some(ReasonCode::BorderDbHit));
    assert!(lane.alarms().contains(&ReasonCode::BorderDbHit));
    // The traveller sees exactly what any other referral shows.
    let after_hit: Vec<MessageCode> = lane.messages().into_iter().rev().take(1).collect();
    assert_eq!(after_hit, vec![MessageCode::SeeOfficer]);
    assert!(!lane.doors().contains(&(DoorId::Entry, DoorAction::Open)));
}

#[test]
fn database_unavailable_or_slow_refers() {
    let mut lane = Lane::checking_borderdb();
    lane.borderdb(BorderDbResult::Unavailable);
    assert_eq!(referred(&lane), Some(ReasonCode::BorderDbUnavailable));

    let mut lane = Lane::checking_borderdb();
    lane.run_to_deadline();
    assert_eq!(referred(&lane), Some(ReasonCode::BorderDbTimeout));
}

#[test]
fn the_ees_step_refers_with_its_reason() {
    for reason in [
        ReasonCode::EesRequired,
        ReasonCode::EesOverstay,
        ReasonCode::EesUnavailable,
    ] {
        let mut lane = Lane::checking_borderdb();
        lane.borderdb(BorderDbResult::Refused(reason));
        assert_eq!(referred(&lane), Some(reason));
        assert!(!lane.doors().contains(&(DoorId::Entry, DoorAction::Open)));
    }
}

// ---- failed biometric verification --------------------------------------------------

#[test]
fn failed_biometric_verification_after_three_attempts() {
    let mut lane = Lane::in_the_mantrap();
    for _ in 0..3 {
        lane.attempt(NO_MATCH, LIVE);
    }
    assert_eq!(referred(&lane), Some(ReasonCode::FaceMismatch));
    assert_eq!(lane.exit_opens(), 0);
    // Sent back through the reopened entry (exit closed, then entry opens).
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Open));
    let tx = lane.audits().into_iter().find_map(|e| match e {
        AuditEvent::Transaction {
            step: Step::Face,
            attempts,
            failure,
            ..
        } => Some((*attempts, *failure)),
        _ => None,
    });
    assert_eq!(tx, Some((3, Some(ReasonCode::FaceMismatch))));
    lane.walk_back();
    assert_eq!(lane.gate.phase(), Phase::Idle);
}

#[test]
fn biometric_second_attempt_succeeds() {
    let mut lane = Lane::one_step();
    lane.document_ok(facts());
    lane.attempt(FaceVerdict::NoFace, LIVE);
    lane.attempt(MATCH, LIVE);
    walks_out_accepted(&mut lane);
}

#[test]
fn presentation_attack_refers_at_once() {
    let mut lane = Lane::in_the_mantrap();
    lane.attempt(MATCH, PadVerdict::Attack { score: 0.02 });
    assert_eq!(referred(&lane), Some(ReasonCode::PresentationAttack));
    assert_eq!(lane.exit_opens(), 0);
}

#[test]
fn a_match_without_a_pad_verdict_does_not_open() {
    let mut lane = Lane::in_the_mantrap();
    lane.face(MATCH);
    assert_eq!(lane.gate.phase(), Phase::Verifying);
    lane.pad(PadVerdict::NotChecked);
    assert_eq!(referred(&lane), Some(ReasonCode::LivenessUnavailable));
    assert_eq!(lane.exit_opens(), 0);
}

// ---- failed PA ----------------------------------------------------------------------

#[test]
fn failed_passive_authentication() {
    let mut lane = Lane::two_step();
    let mut forged = facts();
    forged.pa = PaOutcome::Failed;
    lane.read(forged);
    assert_eq!(referred(&lane), Some(ReasonCode::PaFailed));
    assert!(lane.alarms().contains(&ReasonCode::PaFailed));
    let decision = lane.audits().into_iter().find_map(|e| match e {
        AuditEvent::DocumentDecision {
            refusal,
            pseudonym,
            rule,
            ..
        } => Some((*refusal, pseudonym.0.clone(), rule.clone())),
        _ => None,
    });
    // Authenticity refuses before the rule table: no rule decided.
    assert_eq!(
        decision,
        Some((Some(ReasonCode::PaFailed), "hmac:3f9a".to_string(), None))
    );
    let mut untrusted = facts();
    untrusted.pa = PaOutcome::UntrustedCsca;
    let mut lane = Lane::one_step();
    lane.read(untrusted);
    assert_eq!(referred(&lane), Some(ReasonCode::CscaUntrusted));
}

// ---- non-cooperative behaviour ------------------------------------------------------

#[test]
fn non_cooperative_traveller_never_enters() {
    let mut lane = Lane::two_step();
    lane.document_ok(facts());
    assert_eq!(lane.gate.phase(), Phase::Entering);
    lane.run_to_deadline();
    assert_eq!(referred(&lane), Some(ReasonCode::PassageTimeout));
    lane.zone(Zone::A, false);
    assert_eq!(lane.gate.phase(), Phase::Idle);
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Close));
}

#[test]
fn non_cooperative_traveller_does_not_face_the_camera() {
    let mut lane = Lane::in_the_mantrap();
    let t = lane.elapsed();
    for _ in 0..3 {
        lane.run_to_deadline();
    }
    assert_eq!(referred(&lane), Some(ReasonCode::CaptureTimeout));
    assert_eq!(lane.elapsed() - t, Duration::from_secs(24));
    let cancels = lane
        .log
        .iter()
        .filter(|c| matches!(c, Command::CancelJob { .. }))
        .count();
    assert_eq!(cancels, 6); // face + PAD, three attempts
}

#[test]
fn non_cooperative_traveller_stays_after_the_exit_opened() {
    let mut lane = Lane::in_the_mantrap();
    lane.attempt(MATCH, LIVE);
    lane.run_to_deadline();
    assert_eq!(lane.gate.phase(), Phase::AwaitingOfficer);
    assert!(lane.alarms().contains(&ReasonCode::Loitering));
    // The alarm repeats until someone acts.
    lane.run_to_deadline();
    assert_eq!(
        lane.alarms()
            .iter()
            .filter(|r| **r == ReasonCode::Loitering)
            .count(),
        2
    );
    lane.walk_out();
    assert_eq!(lane.gate.phase(), Phase::Idle);
}

#[test]
fn loitering_and_objects_left_in_an_idle_lane() {
    let mut lane = Lane::two_step();
    lane.zone(Zone::A, true);
    lane.run_to_deadline();
    assert!(lane.alarms().contains(&ReasonCode::Loitering));
    assert_eq!(lane.gate.phase(), Phase::Idle);
    assert_eq!(
        lane.gate.poll_timeout(),
        None,
        "reported once per occupation"
    );
    lane.zone(Zone::A, false);

    let mut lane = Lane::two_step_with(|c| c.occupancy.object_left = OccupancyAction::Refer);
    lane.sensor(SensorEvent::PersonCount(0));
    lane.zone(Zone::B, true);
    lane.run_to_deadline();
    assert!(lane.alarms().contains(&ReasonCode::ObjectLeft));
    assert_eq!(lane.gate.phase(), Phase::AwaitingOfficer);
    lane.zone(Zone::B, false);
    assert_eq!(lane.gate.phase(), Phase::Idle);
}

// ---- system malfunction -------------------------------------------------------------

#[test]
fn system_malfunction_camera_fault_mid_passage() {
    let mut lane = Lane::in_the_mantrap();
    lane.sensor(SensorEvent::DeviceFault(Device::Camera));
    assert_eq!(lane.gate.phase(), Phase::Fault);
    assert_eq!(
        lane.outcomes(),
        vec![PassageOutcome::Aborted(ReasonCode::DeviceFault)]
    );
    // Configured safe state: entry open (walk back out), exit locked.
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Open));
    assert_eq!(lane.door(DoorId::Exit), Some(DoorAction::Lock));
    assert!(lane.alarms().contains(&ReasonCode::DeviceFault));
    // A reset is refused until the camera recovers.
    lane.feed(Input::Officer(OfficerCommand::Reset));
    assert_eq!(lane.gate.phase(), Phase::Fault);
    lane.sensor(SensorEvent::DeviceRecovered(Device::Camera));
    lane.walk_back();
    lane.feed(Input::Officer(OfficerCommand::Reset));
    assert_eq!(lane.gate.phase(), Phase::Idle);
    lane.genuine_passage();
    assert_eq!(lane.gate.counters().accepted, 1);
}

#[test]
fn system_malfunction_entry_door_does_not_close() {
    let mut lane = Lane::two_step();
    lane.echo_doors = false;
    lane.document_ok(facts());
    lane.walk_in();
    lane.run_to_deadline();
    assert_eq!(lane.gate.phase(), Phase::Fault);
    assert_eq!(lane.gate.reason(), Some(ReasonCode::DoorFault));
}

#[test]
fn system_malfunction_tamper() {
    let exit_locked = [(DoorId::Exit, DoorAction::Lock)];
    let tamper = SensorEvent::Tamper(true);
    safety_input(&mut Lane::one_step(), tamper, Phase::Fault, &exit_locked);
}

// ---- emergency ----------------------------------------------------------------------

#[test]
fn emergency_fire_alarm_mid_passage_opens_every_door_until_reset() {
    let mut lane = Lane::in_the_mantrap();
    let both_open = [
        (DoorId::Entry, DoorAction::Open),
        (DoorId::Exit, DoorAction::Open),
    ];
    let fire = SensorEvent::FireAlarm(true);
    safety_input(&mut lane, fire, Phase::Emergency, &both_open);
    assert!(lane.log.contains(&Command::Sounder(true)));
    assert!(lane.messages().contains(&MessageCode::Evacuate));
    assert_eq!(
        lane.outcomes(),
        vec![PassageOutcome::Aborted(ReasonCode::FireAlarm)]
    );
    // A late face verdict cannot do anything.
    lane.attempt(MATCH, LIVE);
    assert_eq!(lane.gate.counters().stale_results, 2);
    // Still out of service after the alarm clears, and a reset is refused while active.
    lane.feed(Input::Officer(OfficerCommand::Reset));
    assert_eq!(lane.gate.phase(), Phase::Emergency);
    lane.sensor(SensorEvent::FireAlarm(false));
    lane.advance(Duration::from_secs(120));
    assert_eq!(lane.gate.phase(), Phase::Emergency);
    lane.walk_out();
    lane.feed(Input::Officer(OfficerCommand::Reset));
    assert_eq!(lane.gate.phase(), Phase::Idle);
    assert!(lane.log.contains(&Command::Sounder(false)));
    assert_eq!(lane.door(DoorId::Exit), Some(DoorAction::Close));
}

#[test]
fn emergency_button_in_one_step() {
    let mut lane = Lane::one_step();
    let button = SensorEvent::EmergencyButton(true);
    let exit_open = [(DoorId::Exit, DoorAction::Open)];
    safety_input(&mut lane, button, Phase::Emergency, &exit_open);
    assert!(!lane.doors().iter().any(|(d, _)| *d == DoorId::Entry));
}

// ---- power, officers, shutdown ------------------------------------------------------

#[test]
fn mains_lost_finishes_the_passage_then_closes_the_lane() {
    let mut lane = Lane::in_the_mantrap();
    lane.sensor(SensorEvent::MainsLost(true));
    assert!(lane.alarms().contains(&ReasonCode::MainsLost));
    lane.attempt(MATCH, LIVE);
    lane.walk_out();
    assert_eq!(lane.outcomes(), vec![PassageOutcome::Accepted]);
    assert_eq!(lane.gate.phase(), Phase::LaneClosed);
    assert_eq!(lane.gate.reason(), Some(ReasonCode::MainsLost));
    assert_eq!(lane.door(DoorId::Exit), Some(DoorAction::Lock));
    lane.feed(Input::Officer(OfficerCommand::LaneOpen));
    assert_eq!(lane.gate.phase(), Phase::LaneClosed);
    lane.sensor(SensorEvent::MainsLost(false));
    lane.feed(Input::Officer(OfficerCommand::LaneOpen));
    assert_eq!(lane.gate.phase(), Phase::Idle);
}

#[test]
fn officer_release_after_a_referral_that_waits() {
    let mut lane = Lane::two_step_with(|c| c.referral = ReferralRoute::WaitForOfficer);
    lane.document_ok(facts());
    lane.walk_in();
    for _ in 0..3 {
        lane.attempt(NO_MATCH, LIVE);
    }
    assert_eq!(lane.gate.phase(), Phase::AwaitingOfficer);
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Close));
    lane.feed(Input::Officer(OfficerCommand::ReleaseExit));
    assert_eq!(lane.gate.phase(), Phase::Exiting);
    lane.walk_out();
    assert_eq!(lane.gate.phase(), Phase::Idle);
    assert_eq!(lane.exit_opens(), 1);
}

#[test]
fn officer_release_is_refused_while_the_entry_is_open() {
    let mut lane = Lane::two_step();
    lane.document_ok(facts());
    lane.feed(Input::Officer(OfficerCommand::ReleaseExit));
    assert_eq!(lane.exit_opens(), 0);
    assert!(lane.audits().iter().any(|e| matches!(
        e,
        AuditEvent::OfficerAction {
            command: OfficerCommand::ReleaseExit,
            accepted: false,
            ..
        }
    )));
}

#[test]
fn officer_refer_lane_close_and_out_of_service() {
    let mut lane = Lane::two_step();
    lane.document_ok(facts());
    lane.feed(Input::Officer(OfficerCommand::LaneClose));
    lane.walk_in();
    lane.feed(Input::Officer(OfficerCommand::Refer));
    assert_eq!(referred(&lane), Some(ReasonCode::OfficerRefer));
    lane.walk_back();
    assert_eq!(lane.gate.phase(), Phase::LaneClosed);
    lane.feed(Input::Officer(OfficerCommand::OutOfService));
    assert_eq!(lane.gate.phase(), Phase::OutOfService);
    lane.feed(Input::Officer(OfficerCommand::LaneOpen));
    assert_eq!(lane.gate.phase(), Phase::Idle);
    lane.present();
    lane.feed(Input::Officer(OfficerCommand::OutOfService));
    assert_eq!(referred(&lane), Some(ReasonCode::OfficerRefer));
    lane.zone(Zone::A, false);
    assert_eq!(lane.gate.phase(), Phase::OutOfService);
}

#[test]
fn stale_results_never_act_on_the_next_traveller() {
    let mut lane = Lane::one_step();
    lane.document_ok(facts());
    let old_face = lane.face_ticket();
    let old_pad = lane.pad_ticket();
    // The traveller walks away; the next one comes.
    lane.zone(Zone::B, false);
    lane.zone(Zone::A, false);
    assert_eq!(referred(&lane), Some(ReasonCode::TravellerLeft));
    lane.document_ok(facts());
    assert_eq!(lane.gate.phase(), Phase::Verifying);
    lane.feed(Input::PadVerdict {
        ticket: old_pad,
        verdict: LIVE,
    });
    lane.feed(Input::FaceVerdict {
        ticket: old_face,
        verdict: MATCH,
    });
    assert_eq!(lane.gate.phase(), Phase::Verifying);
    assert_eq!(lane.exit_opens(), 0);
    assert_eq!(lane.gate.counters().stale_results, 2);
    // A ticket never issued is unexpected, not stale.
    lane.feed(Input::FaceVerdict {
        ticket: gate::Ticket(9_999),
        verdict: MATCH,
    });
    assert_eq!(lane.gate.counters().unexpected_inputs, 1);
}

#[test]
fn shutdown_puts_the_doors_in_the_safe_state() {
    let mut lane = Lane::in_the_mantrap();
    lane.feed(Input::Shutdown);
    assert_eq!(lane.gate.phase(), Phase::Stopped);
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Open));
    assert_eq!(lane.door(DoorId::Exit), Some(DoorAction::Lock));
    assert_eq!(
        lane.outcomes(),
        vec![PassageOutcome::Aborted(ReasonCode::Shutdown)]
    );
    lane.feed(Input::DocumentPresented);
    assert_eq!(lane.gate.phase(), Phase::Stopped);
    assert_eq!(lane.gate.poll_timeout(), None);
}

/// A restart with a traveller already waiting at the entry (zone A occupied) and both doors
/// reported closed: the entry's close waits for zone A (never a close command with someone
/// in a door's zone), but the door is shut, so the lane is free and the waiting traveller's
/// document starts a passage.
#[test]
fn a_restart_with_someone_waiting_at_the_entry_serves_them() {
    let config = GateConfig::two_step(today());
    let now = std::time::Instant::now();
    let mut gate = gate::Gate::new(config, now);
    let sensor = |gate: &mut gate::Gate, e| gate.handle(now, Input::Sensor(e));
    for (zone, occupied) in [(Zone::A, true), (Zone::B, false), (Zone::C, false)] {
        sensor(&mut gate, SensorEvent::Zone { zone, occupied });
    }
    for door in [DoorId::Entry, DoorId::Exit] {
        sensor(&mut gate, SensorEvent::Door { door, closed: true });
    }
    let mut doors = Vec::new();
    while let Some(c) = gate.poll_command() {
        if let Command::Door { door, action } = c {
            doors.push((door, action));
        }
    }
    assert!(
        !doors.contains(&(DoorId::Entry, DoorAction::Close)),
        "no close command with zone A occupied: {doors:?}"
    );
    gate.handle(now, Input::DocumentPresented);
    assert_eq!(gate.phase(), Phase::ReadingDocument);
}

#[test]
fn restart_starts_in_the_safe_state_and_waits_for_clear_zones() {
    let config = GateConfig::two_step(today());
    let now = std::time::Instant::now();
    let mut gate = gate::Gate::new(config, now);
    let mut doors = Vec::new();
    while let Some(c) = gate.poll_command() {
        if let Command::Door { door, action } = c {
            doors.push((door, action));
        }
    }
    // The exit state is unknown after a restart, so the interlock keeps the entry from
    // opening, and nothing closes before the controller reports the zones.
    assert_eq!(doors, vec![]);
    gate.handle(now, Input::DocumentPresented);
    assert_eq!(
        gate.phase(),
        Phase::Idle,
        "no passage before the doors are closed"
    );
    for zone in [Zone::A, Zone::B, Zone::C] {
        gate.handle(
            now,
            Input::Sensor(SensorEvent::Zone {
                zone,
                occupied: false,
            }),
        );
    }
    let mut doors = Vec::new();
    while let Some(c) = gate.poll_command() {
        if let Command::Door { door, action } = c {
            doors.push((door, action));
        }
    }
    assert_eq!(
        doors,
        vec![
            (DoorId::Entry, DoorAction::Close),
            (DoorId::Exit, DoorAction::Close)
        ]
    );
}

#[test]
fn date_changes_are_used_for_expiry() {
    let mut lane = Lane::two_step();
    let mut f = facts();
    f.expiry = today();
    lane.feed(Input::DateChanged(
        CivilDate::new(2026, 11, 27).expect("date"),
    ));
    lane.read(f);
    assert_eq!(referred(&lane), Some(ReasonCode::DocumentExpired));
}

#[test]
fn a_traveller_who_turns_twelve_at_midnight_is_eligible_from_then_on() {
    // 11 years old on the harness's today (2026-11-26), 12 from midnight on.
    let mut f = facts();
    f.birth_date = Some(CivilDate::new(2014, 11, 27).expect("date"));
    let mut lane = Lane::one_step();
    lane.read(f.clone());
    assert_eq!(referred(&lane), Some(ReasonCode::Underage));

    let mut lane = Lane::one_step();
    let tomorrow = CivilDate::new(2026, 11, 27).expect("date");
    lane.feed(Input::DateChanged(tomorrow));
    assert!(lane
        .audits()
        .iter()
        .any(|e| matches!(e, AuditEvent::DateChanged { date } if *date == tomorrow)));
    lane.document_ok(f);
    lane.attempt(MATCH, LIVE);
    lane.walk_out();
    assert_eq!(lane.outcomes(), vec![PassageOutcome::Accepted]);
}

#[test]
fn a_genuine_two_step_passage_fits_the_published_totals() {
    // Virtual-time sanity check of the harness's traveller model against
    // passage-timing.md (EasyPASS ~18 s, PARAFE 10-15 s): the software adds nothing.
    let mut lane = Lane::two_step();
    lane.genuine_passage();
    assert!(
        lane.elapsed() < Duration::from_secs(15),
        "{:?}",
        lane.elapsed()
    );
}

#[test]
fn ignores_face_verdict_sent_as_match_below_threshold() {
    let mut lane = Lane::one_step();
    lane.document_ok(facts());
    for _ in 0..3 {
        lane.attempt(
            FaceVerdict::Match {
                score: 0.3,
                threshold: 0.5,
            },
            LIVE,
        );
    }
    assert_eq!(referred(&lane), Some(ReasonCode::FaceMismatch));
    assert_eq!(lane.exit_opens(), 0);
}

#[test]
fn wrong_direction_during_a_passage_refers_and_after_the_exit_only_alarms() {
    let mut lane = Lane::in_the_mantrap();
    lane.sensor(SensorEvent::WrongDirection);
    assert_eq!(referred(&lane), Some(ReasonCode::WrongDirection));
    lane.walk_back();

    let mut lane = Lane::in_the_mantrap();
    lane.attempt(MATCH, LIVE);
    lane.sensor(SensorEvent::WrongDirection);
    assert!(lane.alarms().contains(&ReasonCode::WrongDirection));
    walks_out_accepted(&mut lane);
}

#[test]
fn console_view_of_the_passage_in_progress() {
    let mut lane = Lane::two_step();
    lane.document_ok(facts());
    let (id, _) = lane.gate.passage(lane.now).expect("passage");
    assert_eq!(id, gate::PassageId(1));
    assert_eq!(
        lane.gate.current_pseudonym().map(|p| p.0.as_str()),
        Some("hmac:3f9a")
    );
    lane.walk_in();
    lane.attempt(NO_MATCH, LIVE);
    lane.attempt(NO_MATCH, LIVE);
    lane.attempt(NO_MATCH, LIVE);
    assert_eq!(lane.gate.reason(), Some(ReasonCode::FaceMismatch));
    assert_eq!(lane.gate.current_pseudonym(), None);
    assert!(lane.gate.passage(lane.now).is_none());
}

#[test]
fn unexpected_inputs_are_counted_and_audited_never_fatal() {
    let mut lane = Lane::two_step();
    lane.feed(Input::Officer(OfficerCommand::Refer));
    lane.feed(Input::DocumentVerdict {
        ticket: gate::Ticket(77),
        verdict: DocumentVerdict::Refused(ReasonCode::ChipReadFailed),
    });
    lane.sensor(SensorEvent::Door {
        door: DoorId::Exit,
        closed: false,
    });
    assert_eq!(lane.gate.phase(), Phase::Idle);
    assert_eq!(lane.gate.counters().unexpected_inputs, 1);
    assert!(lane.audits().iter().any(|e| matches!(
        e,
        AuditEvent::UnexpectedInput {
            input: "document_verdict",
            phase: Phase::Idle
        }
    )));
    // The exit reported open is not a free lane: no passage begins until it reports
    // closed again.
    lane.present();
    assert_eq!(lane.gate.phase(), Phase::Idle);
    assert_eq!(lane.gate.counters().passages, 0);
    lane.sensor(SensorEvent::Door {
        door: DoorId::Exit,
        closed: true,
    });
    lane.genuine_passage();
    assert_eq!(lane.gate.counters().accepted, 1);
}

#[test]
fn safe_state_opening_waits_for_the_interlock() {
    // Found by the property tests: shutting down while the exit is held open by an
    // occupied zone C must not open the fail-safe entry as well.
    let mut lane = Lane::in_the_mantrap();
    lane.attempt(MATCH, LIVE);
    lane.zone(Zone::C, true);
    lane.feed(Input::Shutdown);
    assert_eq!(lane.door(DoorId::Exit), Some(DoorAction::Open));
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Close));
    lane.zone(Zone::C, false);
    assert_eq!(lane.door(DoorId::Exit), Some(DoorAction::Lock));
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Open));
}

/// Whether any face capture was started since the log was last cleared.
fn captured(lane: &Lane) -> bool {
    lane.log
        .iter()
        .any(|c| matches!(c, Command::StartFaceMatch { .. } | Command::StartPad { .. }))
}

/// The referred traveller walks back out; the lane is idle again.
fn back_to_idle(lane: &mut Lane) {
    lane.walk_back();
    for _ in 0..3 {
        if lane.gate.phase() == Phase::Idle {
            return;
        }
        lane.run_to_deadline();
    }
    assert_eq!(lane.gate.phase(), Phase::Idle);
}

#[test]
fn explicit_consent_is_asked_before_any_capture_and_no_captures_nothing() {
    for one_step in [false, true] {
        let mut config = if one_step {
            GateConfig::one_step(today())
        } else {
            GateConfig::two_step(today())
        };
        config.consent.mode = gate::ConsentMode::Explicit;
        let mut lane = Lane::new(config);

        // A no: referred to the manual lane, and not one frame asked for.
        lane.document_ok(facts());
        assert_eq!(lane.gate.phase(), Phase::AwaitingConsent);
        assert_eq!(lane.messages().last(), Some(&MessageCode::AskConsent));
        assert!(!captured(&lane));
        if !one_step {
            assert_ne!(
                lane.door(DoorId::Entry),
                Some(DoorAction::Open),
                "entry opened before the answer"
            );
        }
        lane.feed(Input::Consent(false));
        assert_eq!(referred(&lane), Some(ReasonCode::DeclinedBiometrics));
        assert!(!captured(&lane));
        back_to_idle(&mut lane);

        // No answer is no consent.
        lane.clear_log();
        lane.document_ok(facts());
        lane.run_to_deadline();
        assert_eq!(referred(&lane), Some(ReasonCode::DeclinedBiometrics));
        assert!(!captured(&lane));
        back_to_idle(&mut lane);

        // A yes: the passage goes on to the face as without the question.
        lane.clear_log();
        lane.document_ok(facts());
        lane.feed(Input::Consent(true));
        if one_step {
            assert_eq!(lane.gate.phase(), Phase::Verifying);
        } else {
            assert_eq!(lane.gate.phase(), Phase::Entering);
            lane.walk_in();
        }
        assert!(captured(&lane));
        lane.attempt(MATCH, LIVE);
        walks_out_accepted(&mut lane);
    }
}

#[test]
fn someone_in_the_mantrap_while_the_document_is_checked_keeps_the_entry_shut() {
    // Adversarial: the mantrap was clear when the document was presented, and zone B
    // reports someone during the seconds the chip read, the border database or the consent
    // question take. A gate that checked the mantrap only at the presentation opens the
    // entry onto them: two people in the mantrap.
    for explicit in [false, true] {
        let mut lane = Lane::two_step_with(|c| {
            if explicit {
                c.consent.mode = gate::ConsentMode::Explicit;
            }
        });
        lane.present();
        lane.zone(Zone::B, true);
        lane.chip(gate::DocumentVerdict::Read(facts()));
        lane.borderdb(gate::BorderDbResult::Clear);
        if explicit {
            lane.feed(Input::Consent(true));
        }
        assert_eq!(lane.door(DoorId::Entry), None, "the entry did not move");
        assert_eq!(referred(&lane), Some(ReasonCode::Loitering));
        assert!(!captured(&lane));
    }
}

#[test]
fn someone_at_the_exit_when_a_document_is_presented_is_not_a_free_lane() {
    // Zone C (behind the closed exit) occupied: the passage does not begin, as with
    // someone in the mantrap; once it clears, it does.
    let mut lane = Lane::two_step();
    lane.zone(Zone::C, true);
    lane.present();
    assert_eq!(lane.gate.phase(), Phase::Idle);
    assert_eq!(lane.gate.counters().passages, 0);
    lane.zone(Zone::C, false);
    lane.present();
    assert_eq!(lane.gate.phase(), Phase::ReadingDocument);
}

#[test]
fn a_consent_answer_outside_the_question_changes_nothing() {
    let mut lane = Lane::two_step();
    lane.feed(Input::Consent(true));
    assert_eq!(lane.gate.phase(), Phase::Idle);
    lane.document_ok(facts());
    // Notice only: no question, straight on.
    assert_eq!(lane.gate.phase(), Phase::Entering);
    lane.feed(Input::Consent(false));
    assert_eq!(lane.gate.phase(), Phase::Entering);
    assert_eq!(referred(&lane), None);
}

#[test]
fn the_accessible_mode_lengthens_the_travellers_timeouts_for_one_passage() {
    let enter = GateConfig::two_step(today()).timeouts.enter;
    // How long the open entry waits for a traveller who does not come in.
    let entry_wait = |assist: bool| {
        let mut lane = Lane::two_step();
        if assist {
            lane.feed(Input::Assistance);
            assert!(lane.gate.assisted());
        }
        lane.document_ok(facts());
        assert_eq!(lane.gate.phase(), Phase::Entering);
        let opened = lane.now;
        lane.run_to_deadline();
        assert_eq!(referred(&lane), Some(ReasonCode::PassageTimeout));
        let waited = lane.now - opened;
        back_to_idle(&mut lane);
        // For that passage only.
        assert!(!lane.gate.assisted());
        waited
    };
    assert_eq!(entry_wait(false), enter);
    assert_eq!(entry_wait(true), enter * 2);
}
