//! The built-in suite: the classic acceptance cases of an e-gate and the exception cases of
//! the Frontex best-practice catalogue that the simulator can stage, each a one-gate
//! scenario with its expected outcome and the requirement it covers.
//!
//! Sources of the requirements: Frontex, *Best Practice Technical Guidelines for Automated
//! Border Control (ABC) Systems* (2015), and *Best Practice Operational Guidelines for ABC
//! Systems* (2012): document authentication (§2.2 of the technical guidelines), biometric
//! verification (§2.3), the border database query, single-person passage and tailgating (§2.4),
//! exception handling and manual override, fail-safe behaviour in an emergency or on power
//! and communication loss. The catalogue's cases that need an officer or equipment the
//! simulator has not got (a traveller fainting, a lost child) are not staged.

use crate::engine::Record;

/// What a case must end with.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    /// Outcome of each traveller of the case, in order (`accepted`, `released`,
    /// `referred`, `aborted`, `no_passage`; `|` separates alternatives).
    pub outcomes: &'static [&'static str],
    /// Whether each traveller goes through the exit.
    pub through: &'static [bool],
    /// A reason the (last) traveller's passage must name, if any (`|` separates
    /// alternatives).
    pub reason: Option<&'static str>,
    /// The run must have recovered from its faults.
    pub recovers: bool,
}

/// One case.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// Short id.
    pub id: &'static str,
    /// What it is.
    pub title: &'static str,
    /// The requirement it covers.
    pub requirement: &'static str,
    /// Traveller types, in order.
    pub travellers: &'static [&'static str],
    /// Extra scenario text (faults, officer actions, gate settings).
    pub extra: &'static str,
    /// What must happen.
    pub expect: Expect,
}

const fn expect(
    outcome: &'static [&'static str],
    through: &'static [bool],
    reason: Option<&'static str>,
) -> Expect {
    Expect {
        outcomes: outcome,
        through,
        reason,
        recovers: false,
    }
}

/// The suite.
pub const CASES: &[Case] = &[
    Case {
        id: "good-case",
        title: "a genuine traveller with a valid passport",
        requirement: "Frontex TG §2.2–2.3: chip read, passive and chip authentication, 1:1 face match and liveness accept the holder",
        travellers: &["genuine"],
        extra: "",
        expect: expect(&["accepted"], &[true], None),
    },
    Case {
        id: "falsified-document",
        title: "a photo substitution: DG2 changed after signing",
        requirement: "Frontex TG §2.2: passive authentication (ICAO 9303-11 §5.1) detects altered data groups",
        travellers: &["forged"],
        extra: "",
        expect: expect(&["referred"], &[false], None),
    },
    Case {
        id: "tampered-biographic-data",
        title: "biographic data changed after signing (DG1)",
        requirement: "Frontex TG §2.2: passive authentication; the chip's DG1 must match the printed MRZ",
        travellers: &["tampered"],
        extra: "",
        expect: expect(&["referred"], &[false], None),
    },
    Case {
        id: "borderdb-hit",
        title: "the holder's document is on the border databases",
        requirement: "Frontex OG: every eligible traveller is checked against the border databases; a hit is referred, the traveller's display gives no reason",
        travellers: &["borderdb_hit"],
        extra: "",
        expect: expect(&["referred"], &[false], Some("borderdb_hit")),
    },
    Case {
        id: "biometric-mismatch",
        title: "someone else's genuine passport",
        requirement: "Frontex TG §2.3: the 1:1 comparison at the operating threshold refers an impostor",
        travellers: &["impostor"],
        extra: "",
        expect: expect(&["referred"], &[false], Some("face_mismatch")),
    },
    Case {
        id: "lookalike-impostor",
        title: "the nearest-scoring other identity of the face set presents the passport",
        requirement: "Frontex TG §2.3: the threshold holds against the most similar face available",
        travellers: &["lookalike_impostor"],
        extra: "",
        expect: expect(&["referred"], &[false], Some("face_mismatch")),
    },
    Case {
        id: "document-used-twice",
        title: "the holder passes, then another person presents one of the holder's documents",
        requirement: "a document is bound to its holder at every use: the 1:1 match refers the second user (a register of uses is the EES hook, issue #18)",
        travellers: &["genuine", "document_used_twice"],
        extra: "",
        expect: expect(&["accepted", "referred"], &[true, false], Some("face_mismatch")),
    },
    Case {
        id: "two-travellers-in-the-gate",
        title: "a second person steps in with the traveller",
        requirement: "Frontex TG §2.4: one person at a time; a second person in the mantrap stops the passage",
        travellers: &["second_person"],
        extra: "",
        expect: expect(&["referred|aborted"], &[false], None),
    },
    Case {
        id: "tailgating",
        title: "someone slips in behind the traveller while the entry is open",
        requirement: "Frontex TG §2.4: tailgating is detected before the exit opens",
        travellers: &["tailgater"],
        extra: "",
        expect: expect(&["referred|aborted"], &[false], None),
    },
    Case {
        id: "manual-opening-of-the-exit",
        title: "an officer releases the exit for an impostor under verification",
        requirement: "Frontex OG: the officer can override the gate by hand; the release is audited and the passage recorded as released",
        travellers: &["impostor"],
        extra: "[[officer]]\nat_s = 0\ncommand = \"release_exit\"\nwhen = \"verifying\"\n",
        expect: expect(&["released"], &[true], None),
    },
    Case {
        id: "fire-alarm-mid-passage",
        title: "the fire alarm sounds while the traveller is in the mantrap",
        requirement: "fail-safe: on a fire alarm every door opens and the traveller can leave; nobody is trapped",
        travellers: &["genuine"],
        extra: "[[faults]]\nat_s = 0\nkind = \"fire_alarm\"\nfor_s = 20\nwhen = \"verifying\"\n",
        expect: Expect {
            outcomes: &["aborted"],
            through: &[],
            reason: Some("fire_alarm"),
            recovers: true,
        },
    },
    Case {
        id: "power-loss",
        title: "mains power fails during a passage",
        requirement: "fail-safe: on mains loss the controller runs on battery, which is not a device fault (hardware/door-map.md, \"Mains loss\"); the passage in progress finishes on reserve power, the lane then closes with its doors shut, and it reopens once mains return and an officer opens it",
        travellers: &["genuine", "genuine"],
        extra: "[[faults]]\nat_s = 0\nkind = \"mains_lost\"\nfor_s = 60\nwhen = \"verifying\"\n",
        // gate::Gate on MainsLost: the traveller in the mantrap is verified and leaves; the
        // next one is served once the lane is open again.
        expect: Expect {
            outcomes: &["accepted", "accepted"],
            through: &[true, true],
            reason: None,
            recovers: true,
        },
    },
    Case {
        id: "link-loss",
        title: "the door controller's serial link is lost during a passage",
        requirement: "fail-safe: a lost controller link is a fault within the watchdog time; the passage stops, nobody is trapped, the lane recovers",
        travellers: &["genuine"],
        extra: "[[faults]]\nat_s = 0\nkind = \"serial_link_lost\"\nfor_s = 5\nwhen = \"verifying\"\n",
        expect: Expect {
            outcomes: &["aborted"],
            through: &[],
            reason: None,
            recovers: true,
        },
    },
    Case {
        id: "expired-document",
        title: "a passport past its expiry date",
        requirement: "Frontex OG: only valid documents are eligible",
        travellers: &["expired"],
        extra: "",
        expect: expect(&["referred"], &[false], Some("document_expired")),
    },
    Case {
        id: "revoked-signer",
        title: "a passport signed by a revoked Document Signer",
        requirement: "ICAO 9303-12 §7.1.4: a document whose signer the CSCA revoked is refused",
        travellers: &["revoked"],
        extra: "",
        expect: expect(&["referred"], &[false], None),
    },
    Case {
        id: "unknown-csca",
        title: "a passport signed under a CSCA in no master list",
        requirement: "Frontex TG §2.2: passive authentication needs a trusted CSCA",
        travellers: &["unknown-csca"],
        extra: "",
        expect: expect(&["referred"], &[false], None),
    },
    Case {
        id: "clone",
        title: "a cloned chip without the private keys",
        requirement: "ICAO 9303-11 §6: active or chip authentication detects a copied chip",
        travellers: &["clone"],
        extra: "",
        expect: expect(&["referred"], &[false], None),
    },
    Case {
        id: "clone-profiles",
        title: "every clone profile of the document factory",
        requirement: "ICAO 9303-11 §6 and document::authenticity: each way a clone hides itself is caught",
        travellers: &[
            "clone-hides-dg14-dg15",
            "clone-aa-signature-wrong",
            "clone-aa-other-key",
            "clone-cam-wrong-proof",
            "clone-card-security-resigned",
            "clone-dg2-not-found",
        ],
        extra: "",
        expect: expect(&["referred", "referred", "referred", "referred", "referred", "referred"], &[false, false, false, false, false, false], None),
    },
    Case {
        id: "mrz-mismatch",
        title: "the printed MRZ differs from the chip's DG1",
        requirement: "ICAO 9303-11 §4: the access key comes from the printed MRZ; a mismatch refuses access or is refused",
        travellers: &["mrz-mismatch"],
        extra: "",
        expect: expect(&["referred"], &[false], None),
    },
    Case {
        id: "minor",
        title: "a ten-year-old with a genuine passport",
        requirement: "Frontex OG: ABC is for adults and minors above the national minimum age (EasyPASS: 12)",
        travellers: &["minor"],
        extra: "",
        expect: expect(&["referred"], &[false], Some("underage")),
    },
    Case {
        id: "print-attack",
        title: "a printed photo of the holder held before the camera",
        requirement: "ISO/IEC 30107-3: presentation attack detection refers a print attack",
        travellers: &["print"],
        extra: "",
        expect: expect(&["referred"], &[false], None),
    },
    Case {
        id: "screen-replay-attack",
        title: "a screen replaying the holder before the camera",
        requirement: "ISO/IEC 30107-3: presentation attack detection refers a screen replay",
        travellers: &["screen_replay"],
        extra: "",
        expect: expect(&["referred"], &[false], None),
    },
    Case {
        id: "traveller-leaves",
        title: "the traveller presents the passport and walks away",
        requirement: "Frontex OG: an abandoned passage ends; the lane is ready for the next traveller",
        travellers: &["leaving", "genuine"],
        extra: "",
        expect: expect(&["referred|aborted|no_passage", "accepted"], &[false, true], None),
    },
    Case {
        id: "wheelchair-user",
        title: "a wheelchair user, slower and lower before the camera",
        requirement: "accessibility: the lane's timeouts allow a slower passage",
        travellers: &["wheelchair"],
        extra: "",
        expect: expect(&["accepted"], &[true], None),
    },
    Case {
        id: "reader-disconnected",
        title: "the chip reader fails before a passage and comes back",
        requirement: "a device fault closes the lane (nobody is refused for it) and the lane recovers when the device does",
        travellers: &["genuine", "genuine"],
        extra: "[[faults]]\nat_s = 0\nkind = \"reader_disconnected\"\nfor_s = 20\n",
        expect: Expect {
            outcomes: &["accepted", "accepted"],
            through: &[true, true],
            reason: None,
            recovers: true,
        },
    },
    Case {
        id: "card-pulled",
        title: "the passport is pulled off the reader during the chip read",
        requirement: "ICAO 9303-11 and the gate's attempts: a broken read is retried, then the traveller passes",
        travellers: &["genuine"],
        extra: "[[faults]]\nat_s = 0\nkind = \"card_pulled\"\n",
        expect: expect(&["accepted"], &[true], None),
    },
    Case {
        id: "camera-frozen",
        title: "the camera freezes on one frame and comes back",
        requirement: "no passage on a frozen frame: the capture finds the camera frozen, a device fault ends the passage, and the lane recovers when the camera does",
        travellers: &["genuine", "genuine"],
        extra: "[[faults]]\nat_s = 0\nkind = \"camera_frozen\"\nfor_s = 120\n",
        expect: Expect {
            outcomes: &["aborted|referred", "accepted"],
            through: &[false, true],
            reason: None,
            recovers: true,
        },
    },
    Case {
        id: "door-jammed",
        title: "the exit door jams when it should open",
        requirement: "a door that does not move is a door fault; the traveller is not trapped",
        travellers: &["genuine"],
        extra: "[[faults]]\nat_s = 0\nkind = \"door_jammed\"\ndoor = \"exit\"\nfor_s = 60\nwhen = \"verifying\"\n",
        expect: Expect {
            outcomes: &["accepted|referred|aborted"],
            through: &[],
            reason: None,
            recovers: true,
        },
    },
    Case {
        id: "wrong-direction",
        title: "someone walks into the lane from the exit side",
        requirement: "Frontex TG §2.4: entry from the exit side never opens a door",
        travellers: &["wrong_direction"],
        extra: "",
        expect: expect(&["no_passage"], &[false], Some("wrong_direction")),
    },
];

/// The scenario text of a case over the face folder `faces`.
pub fn scenario(case: &Case, faces: &str, seed: u64) -> String {
    let list: Vec<String> = case.travellers.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        "name = \"{id}\"\nseed = {seed}\n\n[gates]\ncount = 1\n\n[travellers]\ncount = {n}\nfaces = \"{faces}\"\nsequence = [{list}]\n\n{extra}",
        id = case.id,
        n = case.travellers.len(),
        list = list.join(", "),
        extra = case.extra,
    )
}

/// Judges a case from its travellers' records and whether its faults recovered.
pub fn judge(case: &Case, records: &[Record], recovered: bool) -> (bool, String) {
    let mut ok = records.len() == case.travellers.len();
    let mut actual = Vec::new();
    for (k, r) in records.iter().enumerate() {
        actual.push(format!(
            "{}: {}{}{}{}",
            r.ty,
            r.outcome,
            r.reason.map(|x| format!(" ({x})")).unwrap_or_default(),
            if r.through {
                ", through"
            } else {
                ", not through"
            },
            if r.trapped { ", TRAPPED" } else { "" }
        ));
        if let Some(want) = case.expect.outcomes.get(k) {
            ok &= want.split('|').any(|w| w == r.outcome);
        }
        if let Some(&want) = case.expect.through.get(k) {
            ok &= r.through == want;
        }
        ok &= !r.trapped;
    }
    if let (Some(want), Some(last)) = (case.expect.reason, records.last()) {
        ok &= last.reason.is_some_and(|r| want.split('|').any(|w| w == r));
    }
    if case.expect.recovers {
        ok &= recovered;
        actual.push(if recovered {
            "lane recovered".into()
        } else {
            "lane did NOT recover".into()
        });
    }
    (ok, actual.join("; "))
}

/// The expected outcome in words.
pub fn expected(case: &Case) -> String {
    let mut parts = Vec::new();
    for (k, t) in case.travellers.iter().enumerate() {
        let o = case.expect.outcomes.get(k).copied().unwrap_or("any");
        let th = match case.expect.through.get(k) {
            Some(true) => ", through",
            Some(false) => ", not through",
            None => "",
        };
        parts.push(format!("{t}: {o}{th}"));
    }
    if let Some(r) = case.expect.reason {
        parts.push(format!("reason {r}"));
    }
    parts.push("nobody trapped".into());
    if case.expect.recovers {
        parts.push("lane recovers".into());
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_case_is_a_valid_scenario_with_an_expectation_per_traveller() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("identities.txt"), "a.jpg a\n").unwrap();
        let mut ids = std::collections::BTreeSet::new();
        for c in CASES {
            assert!(ids.insert(c.id), "duplicate {}", c.id);
            let text = scenario(c, &dir.path().display().to_string(), 1);
            let checked = crate::scenario::Scenario::check(&text, Path::new("."), Path::new("/x"));
            assert!(checked.is_ok(), "{}: {:?}", c.id, checked.err());
            assert_eq!(c.expect.outcomes.len(), c.travellers.len(), "{}", c.id);
            assert!(
                c.expect.through.is_empty() || c.expect.through.len() == c.travellers.len(),
                "{}",
                c.id
            );
        }
    }

    #[test]
    fn the_suite_stages_every_clone_profile_of_the_factory() {
        for (d, _) in sim::factory::Defect::CLONES {
            assert!(
                CASES.iter().any(|c| c.travellers.contains(&d.name())),
                "{}",
                d.name()
            );
        }
    }
}
