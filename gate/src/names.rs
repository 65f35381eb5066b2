//! Fieldless enums with stable names: the words of the audit trail, metrics labels, the
//! console and the config file, written once per value.

/// Declares a fieldless enum whose every value has a stable name, and derives from that one
/// list its `ALL` (declaration order), `as_str`, `from_name` and `Display`.
///
/// The enum derives `Debug, Clone, Copy, PartialEq, Eq, Hash`; further attributes (doc
/// comments, more derives, `#[non_exhaustive]`) pass through. A leading `serde;` also
/// derives `Serialize`/`Deserialize` under the `serde` feature of the calling crate, each
/// value under its stable name, so the config file, the console and the audit trail use
/// the same words.
///
/// ```
/// gate::named_enum! {
///     /// A traffic light.
///     pub enum Light {
///         /// Stop.
///         Red => "red",
///         /// Go.
///         Green => "green",
///     }
/// }
/// assert_eq!(Light::ALL, [Light::Red, Light::Green]);
/// assert_eq!(Light::Green.as_str(), "green");
/// assert_eq!(Light::from_name("red"), Some(Light::Red));
/// assert_eq!(Light::Red.to_string(), "red");
/// ```
#[macro_export]
macro_rules! named_enum {
    (
        serde;
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $crate::named_enum! {
            $(#[$meta])*
            #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
            $vis enum $name {
                $(
                    $(#[$vmeta])*
                    #[cfg_attr(feature = "serde", serde(rename = $text))]
                    $variant => $text,
                )+
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }
        $crate::named_enum!(@names $name { $($variant => $text),+ });
    };
    (@names $name:ident { $($variant:ident => $text:literal),+ }) => {
        impl $name {
            /// Every value, in declaration order (for metrics that pre-register labels).
            pub const ALL: [Self; [$($text),+].len()] = [$(Self::$variant),+];

            /// The stable name (audit trail, metrics labels, console, config).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// Parses a stable name back (for the console, config and audit verification).
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.as_str() == name)
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    // Most of these are only named by the serde round trip.
    #[cfg_attr(not(feature = "serde"), allow(unused_imports))]
    use crate::{
        DoorAction, DoorId, DoorSafeState, Lamp, Layout, LivenessMode, MessageCode, OfficerCommand,
        Phase, ReasonCode,
    };

    /// Each value's serde name is its stable name, and it reads back.
    #[cfg(feature = "serde")]
    fn serde_round_trip<T>(all: &[T])
    where
        T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display,
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        for &value in all {
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(json, format!("\"{value}\""));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), value);
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_names_are_the_stable_names() {
        serde_round_trip(&Lamp::ALL);
        serde_round_trip(&Layout::ALL);
        serde_round_trip(&LivenessMode::ALL);
        serde_round_trip(&DoorSafeState::ALL);
        serde_round_trip(&OfficerCommand::ALL);
        serde_round_trip(&Phase::ALL);
        serde_round_trip(&ReasonCode::ALL);
        serde_round_trip(&MessageCode::ALL);
        serde_round_trip(&DoorId::ALL);
    }

    #[test]
    fn config_words_are_kebab_case_and_the_rest_snake_case() {
        assert_eq!(Layout::TwoStep.as_str(), "two-step");
        assert_eq!(LivenessMode::NotChecked.as_str(), "not-checked");
        assert_eq!(DoorSafeState::Locked.to_string(), "locked");
        assert_eq!(Phase::AwaitingOfficer.as_str(), "awaiting_officer");
        assert_eq!(DoorAction::from_name("lock"), Some(DoorAction::Lock));
        assert_eq!(DoorAction::from_name("Lock"), None);
    }
}
