//! The simulator's back ends, for `egate run --sim` only: a border database source that
//! answers after a configured latency and can be put into an outage, and an EES that keeps
//! its individual files in memory. Both are fakes of systems this project cannot run (a
//! national SIS interface, the EES central system); the lane code that asks them is the
//! production code, behind `borderdb::Source` and `borderdb::ees::Ees`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use borderdb::ees::{Ees, EesError, EesRecord, Stay};
use borderdb::{Action, BorderDbError, Category, Hit, Query, Source};
use gate::CivilDate;
use zeroize::Zeroizing;

/// The person on the simulated border database (primary identifier, secondary identifier,
/// date of birth): every "listed_person" traveller is them, with a clean document.
pub const LISTED_PERSON: (&str, &str, (u16, u8, u8)) = ("HOLMES", "SHERLOCK", (1970, 1, 6));

/// The document number of the simulated EES's overstayer: every "overstayer" traveller
/// carries it.
pub const OVERSTAYER_DOCUMENT: &str = "OVERSTAY1";

/// The simulated border database: one person entry, a latency, an outage switch.
pub struct SimSource {
    latency: Duration,
    outage: AtomicBool,
}

/// The name the simulated source reports under (alarms, metrics, audit).
pub const SIM_SOURCE: &str = "sim";

impl SimSource {
    /// A source answering after `latency`.
    pub fn new(latency: Duration) -> Self {
        Self {
            latency,
            outage: AtomicBool::new(false),
        }
    }

    /// Starts (`true`) or ends an outage: meanwhile every query fails after the latency.
    pub fn set_outage(&self, on: bool) {
        self.outage.store(on, Ordering::SeqCst);
    }
}

impl Source for SimSource {
    fn name(&self) -> &str {
        SIM_SOURCE
    }

    fn query(&self, query: &Query) -> Result<Option<Hit>, BorderDbError> {
        std::thread::sleep(self.latency);
        if self.outage.load(Ordering::SeqCst) {
            return Err(BorderDbError::SourceDown {
                source_name: SIM_SOURCE.into(),
                detail: "simulated outage".into(),
            });
        }
        let (primary, secondary, (y, m, d)) = LISTED_PERSON;
        let listed = query.person().is_some_and(|p| {
            p.birth_date() == CivilDate::new(y, m, d).ok() && p.is_named(primary, secondary)
        });
        Ok(listed.then(|| Hit {
            source: "sis".into(),
            category: Category::RefusalOfEntry,
            action: Action::new(
                "Refuse entry (simulated SIS alert, Regulation (EU) 2018/1861 Art. 24); \
                 hand over the refusal form; inform the SIRENE bureau.",
            ),
        }))
    }
}

/// The simulated EES: individual files by (issuing state, document number), in memory. It
/// holds only the simulator's fabricated documents, for the life of `egate run --sim`.
pub struct SimEes {
    files: Mutex<HashMap<(String, String), EesRecord>>,
}

impl SimEes {
    /// An EES holding one overstayer: the holder of [`OVERSTAYER_DOCUMENT`] (issuing state
    /// `D<<`) stayed 100 days, ending 30 days before `today` (Regulation (EU) 2016/399
    /// Art. 6(1) allows 90).
    pub fn new(today: CivilDate) -> Self {
        let days = today.day_number();
        let overstay = Stay {
            entry: civil(days - 130).unwrap_or(today),
            exit: Some(civil(days - 31).unwrap_or(today)),
        };
        let mut files = HashMap::new();
        files.insert(
            ("D<<".to_string(), OVERSTAYER_DOCUMENT.to_string()),
            EesRecord {
                stays: vec![overstay],
                reference_face: None,
            },
        );
        Self {
            files: Mutex::new(files),
        }
    }

    fn key(query: &Query) -> (String, String) {
        (
            query.issuing_state().as_str().to_string(),
            query.document_number().to_string(),
        )
    }
}

/// The civil date of a day number (the inverse of `borderdb::ees::day_number`).
fn civil(days: i64) -> Option<CivilDate> {
    let (y, m, d) = gate::civil_from_days(days);
    CivilDate::new(y, m, d).ok()
}

impl Ees for SimEes {
    fn name(&self) -> &str {
        "sim_ees"
    }

    fn find(&self, query: &Query) -> Result<Option<EesRecord>, EesError> {
        let files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        Ok(files.get(&Self::key(query)).cloned())
    }

    fn create_entry(
        &self,
        query: &Query,
        entry: CivilDate,
        reference_face: Option<&[u8]>,
    ) -> Result<(), EesError> {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        let file = files.entry(Self::key(query)).or_default();
        if file.reference_face.is_none() {
            file.reference_face = reference_face.map(|f| Zeroizing::new(f.to_vec()));
        }
        file.stays.push(Stay { entry, exit: None });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use borderdb::ees::{evaluate, EesDecision};
    use borderdb::{Person, QueryFields};

    fn query(number: &str, person: Option<(&str, &str, CivilDate)>) -> Query {
        let q = Query::new(QueryFields {
            document_code: "P<",
            issuing_state: "D",
            document_number: number,
            nationality: "UTO",
        })
        .unwrap();
        match person {
            Some((p, s, d)) => q.with_person(Person::new(p, s, Some(d)).unwrap()),
            None => q,
        }
    }

    #[test]
    fn day_numbers_round_trip() {
        for d in [
            CivilDate::new(1970, 1, 1).unwrap(),
            CivilDate::new(2000, 2, 29).unwrap(),
            CivilDate::new(2026, 12, 31).unwrap(),
        ] {
            assert_eq!(civil(d.day_number()), Some(d));
        }
    }

    /// Must-show 4 (issue #18): the simulated EES refuses its overstayer on an entry lane and
    /// gives a first-time third-country national a new file with the entry record.
    #[test]
    fn the_overstayer_is_refused_and_a_first_entry_gets_a_file() {
        let today = CivilDate::new(2026, 6, 1).unwrap();
        let ees = SimEes::new(today);
        let overstayer = query(OVERSTAYER_DOCUMENT, None);
        let record = ees.find(&overstayer).unwrap();
        assert_eq!(
            evaluate(record.as_ref(), today),
            EesDecision::Refer(gate::ReasonCode::EesOverstay)
        );
        let newcomer = query("X1234567", None);
        assert!(ees.find(&newcomer).unwrap().is_none());
        assert_eq!(
            evaluate(None, today),
            EesDecision::Admit {
                remaining: 90,
                first_entry: true
            }
        );
        ees.create_entry(&newcomer, today, Some(b"jpeg")).unwrap();
        let file = ees.find(&newcomer).unwrap().unwrap();
        assert_eq!(
            file.stays,
            vec![Stay {
                entry: today,
                exit: None
            }]
        );
        assert!(file.reference_face.is_some());
        // Back a week later, still inside: 90 days minus the 7 since the entry.
        let later = CivilDate::new(2026, 6, 8).unwrap();
        assert_eq!(
            evaluate(Some(&file), later),
            EesDecision::Admit {
                remaining: 83,
                first_entry: false
            }
        );
    }

    #[test]
    fn the_sim_source_hits_its_person_by_name_and_birth_date_and_has_outages() {
        let (p, s, (y, m, d)) = LISTED_PERSON;
        let born = CivilDate::new(y, m, d).unwrap();
        let src = SimSource::new(Duration::ZERO);
        let hit = src
            .query(&query("X7654321", Some((p, s, born))))
            .unwrap()
            .unwrap();
        assert_eq!(hit.category, Category::RefusalOfEntry);
        // Same name, another birth date; same birth date, another name: clear.
        let other_day = CivilDate::new(y, m, d + 1).unwrap();
        assert!(src
            .query(&query("X7654321", Some((p, s, other_day))))
            .unwrap()
            .is_none());
        assert!(src
            .query(&query("X7654321", Some((p, "JOHN", born))))
            .unwrap()
            .is_none());
        src.set_outage(true);
        assert!(src.query(&query("X7654321", None)).is_err());
        src.set_outage(false);
        assert!(src.query(&query("X7654321", None)).unwrap().is_none());
    }
}
