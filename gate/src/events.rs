//! Sensors, occupancy anomalies, emergencies, faults, shutdown and officers.

use std::time::Instant;

use crate::command::{AuditEvent, Command};
use crate::config::OccupancyAction;
use crate::gate::{later, Gate};
use crate::input::{OfficerCommand, SensorEvent, Zone};
use crate::phase::Phase;
use crate::reason::{MessageCode, ReasonCode};
use crate::state::{Emergency, ExitAuthority, Fault, Rest, State};
use crate::verdict::DoorId;

/// Phases before the exit opens, where an anomaly can still refer the traveller.
fn before_exit(phase: Phase) -> bool {
    matches!(
        phase,
        Phase::ReadingDocument
            | Phase::CheckingBorderDb
            | Phase::AwaitingConsent
            | Phase::Entering
            | Phase::ClosingEntry
            | Phase::Verifying
    )
}

impl Gate {
    pub(crate) fn on_sensor(&mut self, now: Instant, event: SensorEvent) {
        match event {
            SensorEvent::Door { door, closed } => {
                self.sensors.set_door_closed(door, closed);
                if closed {
                    match (&self.state, door) {
                        (State::ClosingEntry(_), DoorId::Entry) => self.entry_closed(now),
                        (State::ClosingExit(_), DoorId::Exit) => self.enter_rest(now),
                        _ => {}
                    }
                }
            }
            SensorEvent::Zone { zone, occupied } => {
                self.sensors.set_zone(zone, occupied);
                self.doors.on_zones(&self.sensors, &mut self.out);
                if self.phase() == Phase::Fault {
                    // A safe-state opening waiting for the interlock.
                    self.retry_safe_opens();
                }
                if zone == Zone::A && !occupied {
                    self.check_waiting_zone(now);
                }
                if zone == Zone::A && occupied && self.phase() == Phase::ClosingEntry {
                    // Someone stepping in behind the traveller as the entry closes.
                    self.anomaly(now, ReasonCode::Tailgating);
                }
                self.on_occupancy(now);
            }
            SensorEvent::MultiplePersons(many) => {
                let was = self.sensors.crowded();
                self.sensors.multiple_persons = many;
                self.on_crowd_change(now, was);
            }
            SensorEvent::PersonCount(n) => {
                let was = self.sensors.crowded();
                self.sensors.person_count = Some(n);
                self.on_crowd_change(now, was);
            }
            SensorEvent::ChildDetected(child) => {
                let was = self.sensors.child;
                self.sensors.child = child;
                if child && !was && before_exit(self.phase()) {
                    self.anomaly(now, ReasonCode::ChildDetected);
                }
            }
            SensorEvent::WrongDirection => self.anomaly(now, ReasonCode::WrongDirection),
            SensorEvent::FireAlarm(active) => {
                self.sensors.fire_alarm = active;
                self.condition(now, ReasonCode::FireAlarm, active, Self::emergency);
            }
            SensorEvent::EmergencyButton(active) => {
                self.sensors.emergency_button = active;
                self.condition(now, ReasonCode::EmergencyButton, active, Self::emergency);
            }
            SensorEvent::Tamper(active) => {
                self.sensors.tamper = active;
                self.condition(now, ReasonCode::Tamper, active, Self::fault);
            }
            SensorEvent::MainsLost(lost) => {
                self.sensors.mains_lost = lost;
                let on_lost = |gate: &mut Self, now, _| gate.on_mains_lost(now);
                self.condition(now, ReasonCode::MainsLost, lost, on_lost);
            }
            SensorEvent::DeviceFault(device) => {
                self.sensors.fault(device);
                self.audit(AuditEvent::DeviceHealth {
                    device,
                    fault: true,
                });
                self.fault(now, ReasonCode::DeviceFault);
            }
            SensorEvent::DeviceRecovered(device) => {
                self.sensors.recover(device);
                self.audit(AuditEvent::DeviceHealth {
                    device,
                    fault: false,
                });
            }
        }
    }

    /// Records a safety condition going on or off; `react` handles it going on.
    fn condition(
        &mut self,
        now: Instant,
        reason: ReasonCode,
        active: bool,
        react: fn(&mut Self, Instant, ReasonCode),
    ) {
        self.audit(AuditEvent::Condition { reason, active });
        if active {
            react(self, now, reason);
        }
    }

    fn on_crowd_change(&mut self, now: Instant, was_crowded: bool) {
        let phase = self.phase();
        if !was_crowded
            && self.sensors.crowded()
            && matches!(
                phase,
                Phase::Entering | Phase::ClosingEntry | Phase::Verifying
            )
        {
            self.message(MessageCode::OnePersonOnly);
            self.anomaly(now, ReasonCode::Tailgating);
        }
        self.on_occupancy(now);
    }

    /// Re-evaluates the current state after a zone or person-count change.
    fn on_occupancy(&mut self, now: Instant) {
        match self.phase() {
            Phase::Idle => self.update_loiter(now),
            Phase::Entering => self.check_entering(now),
            Phase::Verifying if !self.is_two_step() && self.sensors.clear(Zone::B) => {
                // One-step: the traveller walked away from the capture position.
                let passage = self.state.passage().cloned();
                self.cancel_jobs();
                self.refer(now, passage, ReasonCode::TravellerLeft);
            }
            Phase::Exiting => self.check_exiting(now),
            Phase::Referred => self.check_referred(now),
            Phase::AwaitingOfficer => self.check_awaiting(now),
            _ => {}
        }
    }

    /// Idle deadline: someone (or something) has stayed in the lane too long.
    pub(crate) fn on_loiter(&mut self, now: Instant) {
        let object =
            self.sensors.reported_occupied(Zone::B) && self.sensors.person_count == Some(0);
        if let State::Idle(idle) = &mut self.state {
            idle.loiter_deadline = None;
            idle.reported = true;
        }
        let reason = if object {
            ReasonCode::ObjectLeft
        } else {
            ReasonCode::Loitering
        };
        self.anomaly(now, reason);
    }

    /// An occupancy anomaly: audited, then what the occupancy policy says.
    pub(crate) fn anomaly(&mut self, now: Instant, reason: ReasonCode) {
        let policy = self.config.occupancy;
        let action = match reason {
            ReasonCode::Tailgating => policy.tailgating,
            ReasonCode::WrongDirection => policy.wrong_direction,
            ReasonCode::Loitering => policy.loitering,
            ReasonCode::ChildDetected => policy.child,
            ReasonCode::ObjectLeft => policy.object_left,
            _ => OccupancyAction::Alarm,
        };
        let phase = self.phase();
        self.audit(AuditEvent::Occupancy {
            reason,
            action,
            phase,
        });
        match action {
            OccupancyAction::Record => {}
            OccupancyAction::Alarm => self.alarm(reason),
            OccupancyAction::Refer if before_exit(phase) => {
                let passage = self.state.passage().cloned();
                self.cancel_jobs();
                self.refer(now, passage, reason);
            }
            OccupancyAction::Refer if phase == Phase::Idle => {
                self.alarm(reason);
                self.await_officer(now, reason, true);
                self.check_awaiting(now);
            }
            OccupancyAction::Refer => self.alarm(reason),
        }
    }

    fn on_mains_lost(&mut self, now: Instant) {
        self.alarm(ReasonCode::MainsLost);
        match self.phase() {
            Phase::Idle => self.enter_lane_closed(now, ReasonCode::MainsLost),
            // Resting or waiting for a reset: the lane stays closed via `enter_rest`.
            Phase::LaneClosed
            | Phase::OutOfService
            | Phase::Emergency
            | Phase::Fault
            | Phase::Stopped => {}
            // Finish the passage in progress on reserve power, then close.
            _ => {
                if self.after_passage.is_none() {
                    self.after_passage = Some(Rest::LaneClosed(ReasonCode::MainsLost));
                }
                self.abort_waiting(now, ReasonCode::MainsLost);
            }
        }
    }

    /// Fire alarm or emergency button: every door opens (the documented exception to
    /// the interlock) and the gate stays in `Emergency` until an officer resets it.
    pub(crate) fn emergency(&mut self, now: Instant, reason: ReasonCode) {
        if let State::Emergency(_) = self.state {
            return self.alarm(reason);
        }
        self.abort_waiting(now, reason);
        self.abort_current(now, reason);
        self.after_passage = None;
        for door in [DoorId::Entry, DoorId::Exit] {
            let _ = self.doors.open(door, true, &mut self.out);
        }
        self.emit(Command::Sounder(true));
        self.alarm(reason);
        let deadline = later(now, self.config.timeouts.alarm_repeat);
        self.set_state(now, State::Emergency(Emergency { reason, deadline }));
        self.message(MessageCode::Evacuate);
    }

    /// A fault: doors to the configured safe state until an officer resets (an active
    /// emergency keeps every door open).
    pub(crate) fn fault(&mut self, now: Instant, reason: ReasonCode) {
        match self.state {
            State::Emergency(_) | State::Fault(_) => self.alarm(reason),
            State::Stopped => {}
            _ => self.enter_fault(now, reason),
        }
    }

    fn enter_fault(&mut self, now: Instant, reason: ReasonCode) {
        self.abort_waiting(now, reason);
        self.abort_current(now, reason);
        self.apply_safe_state(reason);
        self.alarm(reason);
        let deadline = later(now, self.config.timeouts.alarm_repeat);
        self.set_state(now, State::Fault(Fault { reason, deadline }));
        self.message(MessageCode::OutOfService);
    }

    /// The daemon is stopping: jobs cancelled, doors to the safe state, terminal.
    pub(crate) fn shutdown(&mut self, now: Instant) {
        self.abort_waiting(now, ReasonCode::Shutdown);
        self.abort_current(now, ReasonCode::Shutdown);
        self.apply_safe_state(ReasonCode::Shutdown);
        self.emit(Command::Sounder(false));
        self.set_state(now, State::Stopped);
        self.message(MessageCode::OutOfService);
    }

    // ---- officers -------------------------------------------------------------------

    pub(crate) fn on_officer(&mut self, now: Instant, command: OfficerCommand) {
        let phase = self.phase();
        let at = self.out.len();
        let accepted = match command {
            OfficerCommand::ReleaseExit => self.officer_release(now),
            OfficerCommand::Refer => self.officer_refer(now),
            OfficerCommand::Reset => self.officer_reset(now),
            OfficerCommand::LaneOpen => self.officer_lane_open(now),
            OfficerCommand::LaneClose => self.officer_lane_close(now),
            OfficerCommand::OutOfService => self.officer_out_of_service(now),
        };
        // The officer's action goes first in the audit, before its effects.
        self.out.insert(
            at,
            Command::Audit(AuditEvent::OfficerAction {
                command,
                phase,
                accepted,
            }),
        );
    }

    fn officer_release(&mut self, now: Instant) -> bool {
        let allowed = matches!(
            self.phase(),
            Phase::Idle
                | Phase::ReadingDocument
                | Phase::CheckingBorderDb
                | Phase::Verifying
                | Phase::Referred
                | Phase::AwaitingOfficer
        );
        if !allowed {
            return false;
        }
        if !self.open_door(DoorId::Exit) {
            return false;
        }
        let passage = self.state.passage().cloned();
        self.cancel_jobs();
        self.enter_exiting(now, passage, ExitAuthority::Officer);
        true
    }

    fn officer_refer(&mut self, now: Instant) -> bool {
        let phase = self.phase();
        if before_exit(phase) {
            let passage = self.state.passage().cloned();
            self.cancel_jobs();
            self.refer(now, passage, ReasonCode::OfficerRefer);
            true
        } else if phase == Phase::AwaitingOfficer && !self.doors.is_open(DoorId::Exit) {
            self.send_back(now, ReasonCode::OfficerRefer);
            true
        } else {
            false
        }
    }

    fn officer_reset(&mut self, now: Instant) -> bool {
        match self.phase() {
            Phase::Emergency => {
                if self.sensors.emergency_active() {
                    return false;
                }
                self.emit(Command::Sounder(false));
                if self.sensors.any_fault() {
                    self.enter_fault(now, ReasonCode::DeviceFault);
                } else {
                    self.enter_rest(now);
                }
                true
            }
            Phase::Fault => {
                if self.sensors.any_fault() {
                    return false;
                }
                self.enter_rest(now);
                true
            }
            Phase::AwaitingOfficer | Phase::OutOfService | Phase::Idle => {
                self.enter_rest(now);
                true
            }
            phase if phase.in_passage() => {
                self.abort_waiting(now, ReasonCode::OfficerReset);
                self.abort_current(now, ReasonCode::OfficerReset);
                self.enter_rest(now);
                true
            }
            _ => false,
        }
    }

    fn officer_lane_open(&mut self, now: Instant) -> bool {
        match self.phase() {
            Phase::LaneClosed | Phase::OutOfService => {
                if self.sensors.mains_lost {
                    return false;
                }
                self.after_passage = None;
                self.enter_idle(now);
                true
            }
            phase if phase.in_passage() || phase == Phase::AwaitingOfficer => {
                self.after_passage.take().is_some()
            }
            _ => false,
        }
    }

    fn officer_lane_close(&mut self, now: Instant) -> bool {
        match self.phase() {
            Phase::Idle | Phase::OutOfService => {
                self.enter_lane_closed(now, ReasonCode::LaneClosed);
                true
            }
            Phase::LaneClosed => true,
            phase if phase.in_passage() || phase == Phase::AwaitingOfficer => {
                if self.after_passage != Some(Rest::OutOfService) {
                    self.after_passage = Some(Rest::LaneClosed(ReasonCode::LaneClosed));
                }
                // The lane closes after the traveller inside: the one waiting is not let in.
                self.abort_waiting(now, ReasonCode::LaneClosed);
                true
            }
            _ => false,
        }
    }

    fn officer_out_of_service(&mut self, now: Instant) -> bool {
        let phase = self.phase();
        match phase {
            Phase::Idle | Phase::LaneClosed => {
                self.enter_out_of_service(now);
                true
            }
            Phase::OutOfService => true,
            _ if before_exit(phase) => {
                self.after_passage = Some(Rest::OutOfService);
                let passage = self.state.passage().cloned();
                self.cancel_jobs();
                self.refer(now, passage, ReasonCode::OutOfService);
                true
            }
            _ if phase.in_passage() || phase == Phase::AwaitingOfficer => {
                self.after_passage = Some(Rest::OutOfService);
                self.abort_waiting(now, ReasonCode::OutOfService);
                true
            }
            _ => false,
        }
    }
}
