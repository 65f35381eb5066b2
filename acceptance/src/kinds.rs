//! The kinds of traveller a scenario mixes, what each one physically does, and what the gate
//! is expected to do with them.

use sim::factory::Defect;

gate::named_enum! {
    /// A kind of traveller with a behaviour of its own (document defects are [`Type::Document`]).
    pub enum Kind {
        /// The holder of a genuine, valid document.
        Genuine => "genuine",
        /// Someone else's genuine document.
        Impostor => "impostor",
        /// Someone else's genuine document, the holder chosen as the identity of the face set
        /// whose photos score nearest the impostor's face.
        Lookalike => "lookalike_impostor",
        /// A document past its expiry date (factory defect `expired-document`).
        Expired => "expired",
        /// A document signed by a revoked Document Signer (`revoked-ds`).
        Revoked => "revoked",
        /// A photo substitution: DG2 changed after signing (`tampered-dg2`).
        Forged => "forged",
        /// The biographic data changed after signing (`tampered-dg1`).
        Tampered => "tampered",
        /// The holder of a genuine document that is on the border databases.
        BorderDb => "borderdb_hit",
        /// A genuine document that its holder has already used, presented again by someone else.
        UsedTwice => "document_used_twice",
        /// A child under the policy's minimum age with a genuine document.
        Minor => "minor",
        /// A wheelchair user: slower, face lower before the camera.
        Wheelchair => "wheelchair",
        /// A traveller with luggage: slower through the doors.
        Luggage => "luggage",
        /// Hesitant before the camera: takes long to face it.
        Hesitant => "hesitant",
        /// Presents the document, then turns away and leaves.
        Leaving => "leaving",
        /// A genuine traveller with someone slipping in behind them.
        Tailgater => "tailgater",
        /// A genuine traveller and a second person stepping in together.
        SecondPerson => "second_person",
        /// Someone walking into the lane from the exit side.
        WrongDirection => "wrong_direction",
        /// The genuine document and a printed photo of the holder before the camera.
        Print => "print",
        /// The genuine document and a screen replaying the holder before the camera.
        ScreenReplay => "screen_replay",
    }
}

/// A traveller type of a scenario's mix: a behaviour, or a document defect of the factory
/// (every profile of `sim::factory::Defect`, by its kebab-case name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    /// A behaviour.
    Kind(KindOrd),
    /// A genuine traveller whose document has this defect.
    Document(DefectOrd),
}

/// [`Kind`] with an order (declaration order), for sorted outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KindOrd(pub usize);

/// [`Defect`] with an order (the factory's `Defect::ALL` order), for sorted outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DefectOrd(pub usize);

impl Type {
    /// A behaviour type.
    pub fn kind(k: Kind) -> Self {
        Type::Kind(KindOrd(Kind::ALL.iter().position(|&x| x == k).unwrap_or(0)))
    }

    /// A defect type.
    pub fn defect(d: Defect) -> Self {
        Type::Document(DefectOrd(
            Defect::ALL.iter().position(|&x| x == d).unwrap_or(0),
        ))
    }

    /// The behaviour, if this is one.
    pub fn as_kind(self) -> Option<Kind> {
        match self {
            Type::Kind(KindOrd(i)) => Kind::ALL.get(i).copied(),
            Type::Document(_) => None,
        }
    }

    /// The document defect this type carries, if any (the named document kinds included).
    pub fn document_defect(self) -> Option<Defect> {
        match self {
            Type::Document(DefectOrd(i)) => Defect::ALL.get(i).copied(),
            Type::Kind(_) => match self.as_kind()? {
                Kind::Expired => Some(Defect::Expired),
                Kind::Revoked => Some(Defect::RevokedDs),
                Kind::Forged => Some(Defect::TamperedDg2),
                Kind::Tampered => Some(Defect::TamperedDg1),
                _ => None,
            },
        }
    }

    /// The name in scenario files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Type::Kind(_) => self.as_kind().map_or("genuine", Kind::as_str),
            Type::Document(DefectOrd(i)) => Defect::ALL.get(i).map_or("clone", |d| d.name()),
        }
    }

    /// The type named `name`: a behaviour (snake_case) or a factory defect (kebab-case).
    pub fn from_name(name: &str) -> Option<Self> {
        Kind::from_name(name)
            .map(Type::kind)
            .or_else(|| Defect::from_name(name).map(Type::defect))
    }

    /// Every type name, for error messages.
    pub fn all_names() -> Vec<&'static str> {
        Kind::ALL
            .iter()
            .map(|k| k.as_str())
            .chain(Defect::ALL.iter().map(|d| d.name()))
            .collect()
    }

    /// What the gate must do with this traveller.
    pub fn expected(self) -> Expected {
        if self.document_defect().is_some() {
            return Expected::Referred;
        }
        match self.as_kind() {
            Some(Kind::Genuine | Kind::Wheelchair | Kind::Luggage) => Expected::Accepted,
            // Slow before the camera: accepted if they face it within the capture window.
            Some(Kind::Hesitant) => Expected::Either,
            Some(Kind::Leaving) => Expected::NotThrough,
            Some(Kind::WrongDirection) => Expected::NotThrough,
            _ => Expected::Referred,
        }
    }

    /// Whether this traveller attacks the gate (for the `every_attack_referred` criterion).
    pub fn is_attack(self) -> bool {
        if self.document_defect().is_some() {
            return true;
        }
        matches!(
            self.as_kind(),
            Some(
                Kind::Impostor
                    | Kind::Lookalike
                    | Kind::UsedTwice
                    | Kind::BorderDb
                    | Kind::Tailgater
                    | Kind::SecondPerson
                    | Kind::WrongDirection
                    | Kind::Print
                    | Kind::ScreenReplay
            )
        )
    }

    /// The presentation attack species this traveller shows the camera, if any.
    pub fn pad_species(self) -> Option<&'static str> {
        match self.as_kind() {
            Some(Kind::Print) => Some("print"),
            Some(Kind::ScreenReplay) => Some("screen_replay"),
            _ => None,
        }
    }

    /// Whether this traveller shows the camera someone else's face.
    pub fn shows_other_face(self) -> bool {
        matches!(
            self.as_kind(),
            Some(Kind::Impostor | Kind::Lookalike | Kind::UsedTwice)
        )
    }
}

/// What the gate must do with a traveller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Verified and through the exit.
    Accepted,
    /// Referred (or the passage cut short): never through the exit unverified.
    Referred,
    /// Either is right.
    Either,
    /// Never through the exit.
    NotThrough,
}

impl Expected {
    /// Whether a traveller who ended with `outcome` (the report's word), through the exit or
    /// not, and not trapped, ended as expected.
    pub fn met(self, outcome: &str, through: bool, trapped: bool) -> bool {
        !trapped
            && match self {
                Expected::Accepted => outcome == "accepted" && through,
                Expected::Referred => !through && outcome != "accepted",
                Expected::Either => true,
                Expected::NotThrough => !through,
            }
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Expected::Accepted => "accepted",
            Expected::Referred => "referred",
            Expected::Either => "either",
            Expected::NotThrough => "not_through",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_name_and_names_do_not_collide() {
        let names = Type::all_names();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for n in names {
            assert_eq!(Type::from_name(n).map(Type::name), Some(n));
        }
        assert_eq!(Type::from_name("Genuine"), None);
    }

    #[test]
    fn every_clone_profile_of_the_factory_is_a_type_and_an_attack() {
        for (d, _) in Defect::CLONES {
            let t = Type::from_name(d.name()).unwrap();
            assert!(
                t.is_attack() && t.expected() == Expected::Referred,
                "{}",
                d.name()
            );
        }
        assert!(!Type::kind(Kind::Genuine).is_attack());
    }
}
