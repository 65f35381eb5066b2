//! The personal data of the passages in progress: the scanned MRZ, the chip portrait, the
//! border database queries, DG1 for a referral and the EES facial image, one [`PassageData`]
//! per passage and nowhere else.
//!
//! With overlapping passages (`[gate] overlap`) there are two: the traveller in the lane
//! (the oldest, whose face is matched) and the next one, whose document is read at the entry
//! meanwhile (the newest). A passage's data is claimed by the gate's `PassageStarted` record
//! and dropped (zeroized) by its `PassageEnded`; a scan the gate never took is dropped when
//! the next document is scanned or the scan expires.

use zeroize::Zeroizing;

/// One passage's personal data, between its jobs.
#[derive(Default)]
pub struct PassageData {
    /// Which scan this is: a job started for another one must not write here.
    pub generation: u64,
    /// The gate's passage, once it took the scan.
    pub passage: Option<gate::PassageId>,
    /// The printed MRZ as the scanner read it (lines separated by `\n`).
    pub printed_mrz: Option<Zeroizing<String>>,
    /// The chip portrait (DG2 image), once read.
    pub chip_photo: Option<Zeroizing<Vec<u8>>>,
    /// The border database query, once the chip was read (asked once, then dropped).
    pub borderdb: Option<borderdb::Query>,
    /// The EES step's query (the same document), once the chip was read.
    pub ees: Option<borderdb::Query>,
    /// DG1, for the officer who handles a border database referral (moved into the
    /// referral, or dropped with the passage).
    pub dg1: Option<console::link::Dg1View>,
    /// The EES individual file's facial image, when the record has one.
    pub ees_reference: Option<Zeroizing<Vec<u8>>>,
    /// The EES entry record to create if this passage is accepted.
    pub ees_entry: Option<crate::lane::borderdb_step::PendingEntry>,
    /// The deviation-list uses of the chip check, for the passage record (no personal data).
    pub deviations: Option<serde_json::Value>,
}

impl PassageData {
    /// Doc 9303-4 §4.2.2, -5 §4.2.2, -6 §4.2.2: the issuing state is characters 3–5 of the
    /// first line in every format.
    pub fn issuing_state(&self) -> Option<&str> {
        self.printed_mrz.as_ref().and_then(|m| m.get(2..5))
    }
}

/// What ending a passage changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    /// The passage was the lane's (its face step, its photos on the console).
    pub was_lane: bool,
    /// Another passage is now the lane's.
    pub next_in_lane: bool,
}

/// The passages with personal data, oldest first.
#[derive(Default)]
pub struct Passages {
    slots: Vec<PassageData>,
    generations: u64,
    /// The latest scans the gate took: (generation, passage), newest last.
    #[cfg(feature = "sim")]
    claims: std::collections::VecDeque<(u64, gate::PassageId)>,
}

/// Claims kept for the simulated bank to learn which passage its traveller's scan started.
#[cfg(feature = "sim")]
const CLAIMS_KEPT: usize = 8;

impl Passages {
    /// A document was scanned: its MRZ opens a passage's data; a scan the gate has not
    /// taken goes. Returns whether it is the only passage (it will be the lane's).
    pub fn begin(&mut self, printed_mrz: Zeroizing<String>) -> bool {
        self.drop_unclaimed();
        self.generations += 1;
        self.slots.push(PassageData {
            generation: self.generations,
            printed_mrz: Some(printed_mrz),
            ..Default::default()
        });
        self.slots.len() == 1
    }

    /// The gate started `passage` with the latest scan.
    pub fn claim(&mut self, passage: gate::PassageId) {
        if let Some(s) = self.slots.iter_mut().rev().find(|s| s.passage.is_none()) {
            s.passage = Some(passage);
            #[cfg(feature = "sim")]
            {
                if self.claims.len() == CLAIMS_KEPT {
                    self.claims.pop_front();
                }
                self.claims.push_back((s.generation, passage));
            }
        }
    }

    /// The generation of the latest scan ([`Passages::begin`]).
    #[cfg(feature = "sim")]
    pub fn latest_generation(&self) -> u64 {
        self.generations
    }

    /// The passage the gate started with the scan of `generation`, if it took it lately
    /// (kept after the passage ended, for the simulated bank's reports).
    #[cfg(feature = "sim")]
    pub fn claimed(&self, generation: u64) -> Option<gate::PassageId> {
        self.claims
            .iter()
            .find(|(g, _)| *g == generation)
            .map(|(_, p)| *p)
    }

    /// Whether the latest scan has been taken by the gate.
    #[cfg(feature = "sim")]
    pub fn latest_claimed(&self) -> bool {
        self.slots.last().is_some_and(|s| s.passage.is_some())
    }

    /// `passage` ended: its data goes (zeroized on drop).
    pub fn end(&mut self, passage: gate::PassageId) -> Ended {
        let at = self.slots.iter().position(|s| s.passage == Some(passage));
        let was_lane = match at {
            Some(i) => {
                self.slots.remove(i);
                i == 0
            }
            // Not known here (no scan): it was the lane's.
            None => true,
        };
        Ended {
            was_lane,
            next_in_lane: was_lane && self.slots.first().is_some_and(|s| s.passage.is_some()),
        }
    }

    /// Whether `passage` is the lane's (or unknown here).
    pub fn is_lane(&self, passage: gate::PassageId) -> bool {
        match self.slots.iter().position(|s| s.passage == Some(passage)) {
            Some(i) => i == 0,
            None => true,
        }
    }

    /// Drops every scan the gate has not taken.
    pub fn drop_unclaimed(&mut self) {
        self.slots.retain(|s| s.passage.is_some());
    }

    /// The passage whose document is read now: the newest one the gate took (or the
    /// latest scan, before the gate has said anything).
    pub fn reading(&mut self) -> Option<&mut PassageData> {
        let i = self
            .slots
            .iter()
            .rposition(|s| s.passage.is_some())
            .or(self.slots.len().checked_sub(1))?;
        self.slots.get_mut(i)
    }

    /// The lane's passage: the oldest, whose face is matched.
    pub fn lane(&mut self) -> Option<&mut PassageData> {
        self.slots.first_mut()
    }

    /// The passage of scan `generation`, if it is still in progress.
    pub fn get_mut(&mut self, generation: u64) -> Option<&mut PassageData> {
        self.slots.iter_mut().find(|s| s.generation == generation)
    }

    /// The data of `passage`, if it is in progress.
    pub fn get_passage(&mut self, passage: gate::PassageId) -> Option<&mut PassageData> {
        self.slots.iter_mut().find(|s| s.passage == Some(passage))
    }

    /// Whether scan `generation` is the lane's.
    pub fn is_lane_generation(&self, generation: u64) -> bool {
        self.slots
            .first()
            .is_some_and(|s| s.generation == generation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gate::PassageId;

    fn mrz(s: &str) -> Zeroizing<String> {
        Zeroizing::new(s.to_string())
    }

    #[test]
    fn two_passages_each_keep_their_data_until_their_own_end() {
        let mut p = Passages::default();
        assert!(p.begin(mrz("P<D<<FIRST")));
        p.claim(PassageId(1));
        p.lane().expect("lane").chip_photo = Some(Zeroizing::new(vec![1]));
        // The next traveller's scan while the first is in the face step.
        assert!(!p.begin(mrz("P<FRASECOND")));
        p.claim(PassageId(2));
        assert_eq!(
            p.reading()
                .and_then(|d| d.issuing_state().map(str::to_owned))
                .as_deref(),
            Some("FRA")
        );
        assert_eq!(
            p.lane()
                .and_then(|d| d.issuing_state().map(str::to_owned))
                .as_deref(),
            Some("D<<")
        );
        assert!(p.is_lane(PassageId(1)) && !p.is_lane(PassageId(2)));
        // The first ends: the second becomes the lane's, with its own data.
        assert_eq!(
            p.end(PassageId(1)),
            Ended {
                was_lane: true,
                next_in_lane: true
            }
        );
        let lane = p.lane().expect("second");
        assert_eq!(lane.passage, Some(PassageId(2)));
        assert!(lane.chip_photo.is_none(), "never the first one's portrait");
    }

    #[test]
    fn the_waiting_passage_ending_leaves_the_lanes_data() {
        let mut p = Passages::default();
        p.begin(mrz("P<D<<FIRST"));
        p.claim(PassageId(1));
        p.begin(mrz("P<FRASECOND"));
        p.claim(PassageId(2));
        assert_eq!(
            p.end(PassageId(2)),
            Ended {
                was_lane: false,
                next_in_lane: false
            }
        );
        assert_eq!(p.lane().and_then(|d| d.passage), Some(PassageId(1)));
    }

    #[test]
    fn a_scan_the_gate_never_took_goes_with_the_next_scan() {
        let mut p = Passages::default();
        p.begin(mrz("P<D<<FIRST"));
        assert!(!p.latest_claimed());
        assert!(p.begin(mrz("P<FRASECOND")), "the untaken scan is gone");
        p.claim(PassageId(1));
        assert!(p.latest_claimed());
        p.begin(mrz("P<AUTTHIRD"));
        p.drop_unclaimed();
        assert!(p.lane().is_some_and(|d| d.passage == Some(PassageId(1))));
        assert!(p.latest_claimed());
    }

    #[test]
    fn the_passage_a_scan_started_is_known_after_it_ended() {
        let mut p = Passages::default();
        p.begin(mrz("P<D<<FIRST"));
        let first = p.latest_generation();
        assert_eq!(p.claimed(first), None, "not taken yet");
        p.claim(PassageId(7));
        p.begin(mrz("P<FRASECOND"));
        let second = p.latest_generation();
        p.end(PassageId(7));
        assert_eq!(p.claimed(first), Some(PassageId(7)));
        // The untaken second scan never names the first one's passage.
        assert_eq!(p.claimed(second), None);
        for n in 0..20 {
            p.begin(mrz("P<D<<MORE"));
            p.claim(PassageId(100 + n));
        }
        assert_eq!(p.claimed(first), None, "only the latest claims are kept");
    }
}
