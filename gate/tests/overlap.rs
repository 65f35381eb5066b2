//! Overlapping passages in a two-step lane (`GateConfig::overlap`), in virtual time, every
//! step checked by the safety model (`gate::check::SafetyModel`): never two travellers let
//! into the mantrap, never a door closed on a person, never the exit opened for a passage
//! that was not accepted, never a result of one passage acting on another.
//!
//! Each adversarial test names the input that would slip past a weaker gate: a late
//! result of passage N during passage N+1, a second traveller slipping in behind, the
//! waiting traveller walking away, an officer's command in the middle of an overlap.

mod harness;

use gate::{
    AuditEvent, BorderDbResult, Command, DocumentVerdict, DoorAction, DoorId, GateConfig, Input,
    MessageCode, OfficerCommand, PassageId, PassageOutcome, Phase, ReasonCode, SensorEvent, Ticket,
    Zone,
};
use harness::{facts, today, Lane, LIVE, MATCH};

/// The first traveller alone in the mantrap, facing the camera, PAD answered live; the
/// second steps up to the entry reader and presents their document.
fn overlapping() -> (Lane, Ticket) {
    let mut lane = Lane::two_step();
    lane.document_ok(facts());
    lane.walk_in();
    lane.pad(LIVE);
    assert_eq!(lane.gate.phase(), Phase::Verifying);
    let face = lane.face_ticket();
    lane.present();
    assert_eq!(
        lane.gate.waiting(),
        Some((PassageId(2), false)),
        "the next traveller's passage waits at the entry"
    );
    assert_eq!(
        lane.gate.phase(),
        Phase::Verifying,
        "the lane is still theirs"
    );
    (lane, face)
}

/// The waiting traveller's chip reads genuine and the border databases (required by default) is
/// clear.
fn read_next(lane: &mut Lane) {
    lane.chip(DocumentVerdict::Read(facts()));
    lane.borderdb(BorderDbResult::Clear);
}

fn ended(lane: &Lane) -> Vec<(PassageId, PassageOutcome)> {
    lane.audits()
        .into_iter()
        .filter_map(|e| match e {
            AuditEvent::PassageEnded {
                passage, outcome, ..
            } => Some((*passage, *outcome)),
            _ => None,
        })
        .collect()
}

fn entry_messages(lane: &Lane) -> Vec<MessageCode> {
    lane.log
        .iter()
        .filter_map(|c| match c {
            Command::ShowEntryMessage(m) => Some(*m),
            _ => None,
        })
        .collect()
}

fn cancelled(lane: &Lane) -> Vec<Ticket> {
    lane.log
        .iter()
        .filter_map(|c| match c {
            Command::CancelJob { ticket } => Some(*ticket),
            _ => None,
        })
        .collect()
}

#[test]
fn the_next_traveller_is_read_while_waiting_and_let_in_once_the_exit_has_closed() {
    let (mut lane, _) = overlapping();
    read_next(&mut lane);
    assert_eq!(
        lane.gate.waiting(),
        Some((PassageId(2), true)),
        "accepted, waiting"
    );
    assert_eq!(
        entry_messages(&lane),
        [MessageCode::ReadingDocument, MessageCode::PleaseWait]
    );
    // The first traveller matches and walks out; the entry stays shut all the while.
    lane.face(MATCH);
    assert_eq!(lane.gate.phase(), Phase::Exiting);
    assert!(lane.gate.waiting().is_some());
    lane.clear_log();
    lane.walk_out();
    // Exit closed behind them, mantrap empty: the entry opens for the second at once.
    assert_eq!(
        lane.doors(),
        [
            (DoorId::Exit, DoorAction::Close),
            (DoorId::Entry, DoorAction::Open)
        ]
    );
    assert_eq!(lane.gate.phase(), Phase::Entering);
    assert_eq!(lane.gate.waiting(), None);
    assert_eq!(lane.gate.passage(lane.now).map(|p| p.0), Some(PassageId(2)));
    // The second traveller's own passage, with its own tickets, to the far side.
    lane.walk_in();
    lane.pad(LIVE);
    lane.face(MATCH);
    lane.walk_out();
    assert_eq!(
        ended(&lane),
        [
            (PassageId(1), PassageOutcome::Accepted),
            (PassageId(2), PassageOutcome::Accepted)
        ]
    );
    assert_eq!(lane.gate.phase(), Phase::Idle);
    assert_eq!(lane.gate.counters().accepted, 2);
}

#[test]
fn a_waiting_chip_read_still_running_carries_on_as_the_lanes_step() {
    let (mut lane, _) = overlapping();
    let chip = lane.chip_ticket();
    lane.face(MATCH);
    lane.walk_out();
    // Promoted mid-read: the same ticket, answered now, decides the lane's passage.
    assert_eq!(lane.gate.phase(), Phase::ReadingDocument);
    assert_eq!(lane.chip_ticket(), chip, "no second read started");
    lane.chip(DocumentVerdict::Read(facts()));
    assert_eq!(lane.gate.phase(), Phase::CheckingBorderDb);
    lane.borderdb(BorderDbResult::Clear);
    assert_eq!(lane.gate.phase(), Phase::Entering);
}

#[test]
fn a_late_result_of_passage_n_during_passage_n_plus_1_is_dropped() {
    // Adversarial: passage 1's face verdict arrives again (a late duplicate from the
    // matcher) while passage 2 is in the face step. A gate that matched on the job kind
    // alone would open the exit for a face it never compared.
    let (mut lane, face1) = overlapping();
    let chip1 = Ticket(1);
    // Passage 1's chip read answers again, eligible, while passage 2's chip is being read.
    lane.feed(Input::DocumentVerdict {
        ticket: chip1,
        verdict: DocumentVerdict::Read(facts()),
    });
    assert_eq!(
        lane.gate.waiting(),
        Some((PassageId(2), false)),
        "still reading"
    );
    // Passage 2's chip is refused as unreadable on both attempts: it never gets in.
    lane.chip(DocumentVerdict::Refused(ReasonCode::ChipReadFailed));
    lane.chip(DocumentVerdict::Refused(ReasonCode::ChipReadFailed));
    assert_eq!(lane.gate.waiting(), None);
    assert!(ended(&lane).contains(&(
        PassageId(2),
        PassageOutcome::Referred(ReasonCode::ChipReadFailed)
    )));
    assert_eq!(entry_messages(&lane).last(), Some(&MessageCode::SeeOfficer));
    // Passage 1 goes on: its face matches, it walks out, the lane rests.
    lane.face(MATCH);
    lane.walk_out();
    assert_eq!(lane.gate.phase(), Phase::Idle);
    // A third traveller now: their passage is in the face step when passage 1's face
    // verdict arrives late once more.
    lane.zone(Zone::A, false);
    lane.document_ok(facts());
    lane.walk_in();
    lane.pad(LIVE);
    let opens = lane.exit_opens();
    let stale = lane.gate.counters().stale_results;
    lane.feed(Input::FaceVerdict {
        ticket: face1,
        verdict: MATCH,
    });
    assert_eq!(lane.gate.phase(), Phase::Verifying);
    assert_eq!(lane.exit_opens(), opens, "no exit for a stale match");
    assert_eq!(lane.gate.counters().stale_results, stale + 1);
}

#[test]
fn a_second_traveller_slipping_in_behind_the_waiting_one_is_sent_back() {
    // Adversarial: a companion follows the waiting traveller through the entry when it
    // opens for them. The mantrap must close on one person only.
    let (mut lane, _) = overlapping();
    read_next(&mut lane);
    lane.face(MATCH);
    lane.walk_out();
    assert_eq!(lane.gate.phase(), Phase::Entering);
    lane.zone(Zone::B, true);
    lane.sensor(SensorEvent::PersonCount(2));
    lane.zone(Zone::A, false);
    assert_eq!(lane.gate.phase(), Phase::Referred);
    assert!(ended(&lane).contains(&(
        PassageId(2),
        PassageOutcome::Referred(ReasonCode::Tailgating)
    )));
    assert_eq!(
        lane.door(DoorId::Entry),
        Some(DoorAction::Open),
        "sent back"
    );
    assert_eq!(lane.exit_opens(), 1, "only the first traveller's exit");
}

#[test]
fn a_third_traveller_cannot_queue_behind_the_waiting_one() {
    let (mut lane, _) = overlapping();
    let passages = lane.gate.counters().passages;
    lane.feed(Input::DocumentPresented);
    assert_eq!(lane.gate.counters().passages, passages, "no third passage");
    assert_eq!(lane.gate.waiting(), Some((PassageId(2), false)));
}

#[test]
fn the_waiting_traveller_leaving_ends_their_passage_and_cancels_its_read() {
    let (mut lane, _) = overlapping();
    let chip2 = lane.chip_ticket();
    lane.zone(Zone::A, false);
    assert_eq!(lane.gate.waiting(), None);
    assert!(cancelled(&lane).contains(&chip2));
    assert!(ended(&lane).contains(&(
        PassageId(2),
        PassageOutcome::Referred(ReasonCode::TravellerLeft)
    )));
    assert!(lane.alarms().is_empty(), "walking away needs no officer");
    // Their chip result comes in after they left: dropped, it starts nothing.
    let stale = lane.gate.counters().stale_results;
    lane.feed(Input::DocumentVerdict {
        ticket: chip2,
        verdict: DocumentVerdict::Read(facts()),
    });
    assert_eq!(lane.gate.counters().stale_results, stale + 1);
    // The first traveller finishes; the lane rests with the entry shut.
    lane.face(MATCH);
    lane.walk_out();
    assert_eq!(lane.gate.phase(), Phase::Idle);
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Close));
}

#[test]
fn an_officer_refer_mid_overlap_cuts_the_waiting_passage_short_before_the_entry_opens() {
    // Adversarial: the officer refers the traveller inside, who is sent back through the
    // entry where the next one waits. The waiting passage must end before the entry opens,
    // or the next traveller would walk in with the first still inside.
    let (mut lane, _) = overlapping();
    read_next(&mut lane);
    lane.clear_log();
    lane.feed(Input::Officer(OfficerCommand::Refer));
    let ended_at = lane
        .log
        .iter()
        .position(|c| matches!(c, Command::Audit(AuditEvent::PassageEnded { passage, .. }) if *passage == PassageId(2)))
        .expect("waiting passage ended");
    let opened_at = lane
        .log
        .iter()
        .position(|c| {
            *c == Command::Door {
                door: DoorId::Entry,
                action: DoorAction::Open,
            }
        })
        .expect("entry opened for the way back");
    assert!(ended_at < opened_at);
    assert_eq!(
        ended(&lane),
        [
            (
                PassageId(2),
                PassageOutcome::Aborted(ReasonCode::OfficerRefer)
            ),
            (
                PassageId(1),
                PassageOutcome::Referred(ReasonCode::OfficerRefer)
            )
        ]
    );
    assert_eq!(lane.gate.waiting(), None);
    // The referral ends once both have left zone A and the mantrap.
    lane.walk_back();
    assert_eq!(lane.gate.phase(), Phase::Idle);
}

#[test]
fn an_officer_release_mid_overlap_keeps_the_waiting_passage() {
    let (mut lane, _) = overlapping();
    read_next(&mut lane);
    lane.feed(Input::Officer(OfficerCommand::ReleaseExit));
    assert_eq!(lane.gate.phase(), Phase::Exiting);
    assert_eq!(lane.gate.waiting(), Some((PassageId(2), true)));
    lane.walk_out();
    assert_eq!(lane.gate.phase(), Phase::Entering);
    assert_eq!(
        ended(&lane),
        [(PassageId(1), PassageOutcome::ReleasedByOfficer)]
    );
}

#[test]
fn an_officer_reset_or_lane_close_mid_overlap_does_not_let_the_waiting_traveller_in() {
    let (mut lane, _) = overlapping();
    read_next(&mut lane);
    lane.feed(Input::Officer(OfficerCommand::LaneClose));
    assert!(ended(&lane).contains(&(
        PassageId(2),
        PassageOutcome::Aborted(ReasonCode::LaneClosed)
    )));
    lane.face(MATCH);
    lane.walk_out();
    assert_eq!(lane.gate.phase(), Phase::LaneClosed);
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Lock));

    let (mut lane, _) = overlapping();
    lane.feed(Input::Officer(OfficerCommand::Reset));
    assert_eq!(lane.gate.phase(), Phase::Idle);
    assert_eq!(lane.gate.waiting(), None);
    assert_eq!(
        ended(&lane),
        [
            (
                PassageId(2),
                PassageOutcome::Aborted(ReasonCode::OfficerReset)
            ),
            (
                PassageId(1),
                PassageOutcome::Aborted(ReasonCode::OfficerReset)
            )
        ]
    );
}

#[test]
fn a_face_mismatch_of_the_first_sends_them_back_and_the_waiting_passage_ends() {
    let (mut lane, _) = overlapping();
    read_next(&mut lane);
    for _ in 0..3 {
        lane.attempt(harness::NO_MATCH, LIVE);
    }
    assert_eq!(lane.gate.phase(), Phase::Referred);
    assert_eq!(lane.gate.waiting(), None);
    assert!(ended(&lane).contains(&(
        PassageId(2),
        PassageOutcome::Aborted(ReasonCode::FaceMismatch)
    )));
    assert_eq!(lane.exit_opens(), 0);
}

#[test]
fn a_fire_alarm_mid_overlap_ends_both_passages_and_opens_every_door() {
    let (mut lane, _) = overlapping();
    lane.sensor(SensorEvent::FireAlarm(true));
    assert_eq!(lane.gate.phase(), Phase::Emergency);
    assert_eq!(lane.gate.waiting(), None);
    assert_eq!(ended(&lane).len(), 2);
    assert_eq!(lane.door(DoorId::Entry), Some(DoorAction::Open));
    assert_eq!(lane.door(DoorId::Exit), Some(DoorAction::Open));
}

#[test]
fn the_mantrap_still_occupied_when_the_exit_closes_keeps_the_entry_shut() {
    // Adversarial: the exit-closed report comes while zone B reports someone again (a
    // traveller who turned back into the mantrap, or a sensor glitch): the entry must not
    // open for the waiting traveller.
    let (mut lane, _) = overlapping();
    read_next(&mut lane);
    lane.face(MATCH);
    lane.echo_doors = false;
    lane.walk_out();
    assert_eq!(lane.gate.phase(), Phase::ClosingExit);
    lane.zone(Zone::B, true);
    lane.sensor(SensorEvent::Door {
        door: DoorId::Exit,
        closed: true,
    });
    assert_eq!(lane.gate.waiting(), None);
    assert_ne!(lane.door(DoorId::Entry), Some(DoorAction::Open));
    assert!(ended(&lane).contains(&(PassageId(2), PassageOutcome::Aborted(ReasonCode::Loitering))));
}

#[test]
fn someone_in_the_mantrap_after_a_mid_read_promotion_keeps_the_entry_shut() {
    // Adversarial: the lane was free when the exit closed and the waiting passage became
    // the lane's mid-read; zone B then reports someone before the chip answers eligible.
    // A gate that checked the lane only at the promotion opens the entry onto them.
    let (mut lane, _) = overlapping();
    lane.face(MATCH);
    lane.walk_out();
    assert_eq!(lane.gate.phase(), Phase::ReadingDocument);
    lane.zone(Zone::B, true);
    lane.clear_log();
    read_next(&mut lane);
    assert_eq!(lane.door(DoorId::Entry), None, "the entry did not move");
    assert_eq!(lane.gate.phase(), Phase::Referred);
    assert_eq!(
        ended(&lane),
        [(
            PassageId(2),
            PassageOutcome::Referred(ReasonCode::Loitering)
        )]
    );
    assert_eq!(lane.alarms(), [ReasonCode::Loitering]);
}

#[test]
fn the_exit_reported_open_after_a_mid_read_promotion_keeps_the_entry_shut() {
    // Adversarial (the second sequence the overlap property shrank to): after the
    // promotion the exit's position sensor reports it open again (forced, or bouncing
    // off a bag). The entry must not open while the exit may stand open behind the lane.
    let (mut lane, _) = overlapping();
    lane.face(MATCH);
    lane.walk_out();
    assert_eq!(lane.gate.phase(), Phase::ReadingDocument);
    lane.sensor(SensorEvent::Door {
        door: DoorId::Exit,
        closed: false,
    });
    lane.clear_log();
    read_next(&mut lane);
    assert_eq!(lane.door(DoorId::Entry), None, "the entry did not move");
    assert_eq!(
        ended(&lane),
        [(
            PassageId(2),
            PassageOutcome::Referred(ReasonCode::Loitering)
        )]
    );
}

#[test]
fn without_overlap_a_document_during_the_face_step_is_not_read() {
    let mut lane = Lane::two_step_with(|c| c.overlap = false);
    lane.document_ok(facts());
    lane.walk_in();
    lane.present();
    assert_eq!(lane.gate.waiting(), None);
    assert_eq!(lane.gate.counters().passages, 1);
    assert_eq!(lane.gate.counters().unexpected_inputs, 1);
}

#[test]
fn early_capture_runs_while_the_entry_closes_but_the_exit_waits_for_it() {
    let mut lane = Lane::two_step();
    lane.document_ok(facts());
    lane.echo_doors = false;
    lane.walk_in();
    assert_eq!(lane.gate.phase(), Phase::ClosingEntry);
    // The capture jobs started as the traveller stood alone in the mantrap.
    lane.pad(LIVE);
    lane.face(MATCH);
    assert_eq!(lane.gate.phase(), Phase::ClosingEntry);
    assert_eq!(lane.exit_opens(), 0, "the entry is not yet reported closed");
    lane.sensor(SensorEvent::Door {
        door: DoorId::Entry,
        closed: true,
    });
    assert_eq!(lane.gate.phase(), Phase::Exiting);
    assert_eq!(lane.exit_opens(), 1);
}

#[test]
fn early_capture_is_cancelled_when_someone_follows_into_the_closing_entry() {
    let mut lane = Lane::two_step();
    lane.document_ok(facts());
    lane.echo_doors = false;
    lane.walk_in();
    let face = lane.face_ticket();
    lane.zone(Zone::A, true);
    assert_eq!(lane.gate.phase(), Phase::Referred);
    assert!(cancelled(&lane).contains(&face));
    // The capture's late match changes nothing.
    lane.feed(Input::FaceVerdict {
        ticket: face,
        verdict: MATCH,
    });
    assert_eq!(lane.exit_opens(), 0);
}

#[test]
fn overlap_and_early_capture_are_refused_for_a_one_step_lane() {
    let mut c = GateConfig::one_step(today());
    assert_eq!(c.validate(), Ok(()), "off by default there");
    c.overlap = true;
    c.early_capture = true;
    let err = c.validate().expect_err("refused");
    assert_eq!(err.0.len(), 2);
    assert!(err
        .to_string()
        .contains("`overlap` applies to the two-step layout only"));
}
