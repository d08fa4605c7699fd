//! The shared vocabulary of node and aggregator: closed value sets with a stable key, German and
//! English labels and accepted spellings ([`keyed_enum!`]), the system [`Category`] of the
//! report's table of alternatives, and the [`Stage`] of a migration path.
//!
//! ```
//! use sovbench_core::vocab::{Category, Stage};
//! assert_eq!(Category::parse("Video"), Some(Category::Videokonferenzen));
//! assert_eq!(Stage::Pilot.next(), Some(Stage::Rollout));
//! assert!(Stage::Zurueckgerollt.rank() > Stage::Pilot.rank());
//! ```

/// Declares a closed set of values with a stable key, German and English labels, and the
/// spellings accepted on input (keys, labels, common synonyms; case-insensitive). The key is the
/// serde representation. The calling crate needs `serde` as a dependency.
#[macro_export]
macro_rules! keyed_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $key:literal, $de:literal, $en:literal, [$($alias:literal),*];)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $key)] $variant,)+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// Stable key.
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key,)+ }
            }

            /// Label in `lang`.
            pub fn label(self, lang: $crate::i18n::Lang) -> &'static str {
                match self { $($name::$variant => lang.pick($de, $en),)+ }
            }

            /// Parses a key, a label or a synonym (case-insensitive).
            pub fn parse(text: &str) -> Option<$name> {
                let t = text.trim().to_lowercase();
                $(
                    if t == $key || t == $de.to_lowercase() || t == $en.to_lowercase() $(|| t == $alias)* {
                        return Some($name::$variant);
                    }
                )+
                None
            }

            /// The value with exactly this key.
            pub fn from_key(key: &str) -> Option<$name> {
                match key { $($key => Some($name::$variant),)+ _ => None }
            }

            /// The accepted keys, for error messages.
            pub fn keys() -> String {
                [$($key),+].join(", ")
            }
        }
    };
}

keyed_enum! {
    /// Category of a system: the report's table of alternatives and its deep dependencies.
    Category {
        Textverarbeitung => "textverarbeitung", "Textverarbeitung", "Word processing", ["word processing", "word"];
        Tabellenkalkulation => "tabellenkalkulation", "Tabellenkalkulation", "Spreadsheets", ["spreadsheet"];
        EmailKalender => "email_kalender", "E-Mail & Kalender", "Email & calendar", ["e-mail", "email", "mail"];
        Videokonferenzen => "videokonferenzen", "Videokonferenzen", "Video conferencing", ["video", "videokonferenz"];
        Projektmanagement => "projektmanagement", "Projektmanagement", "Project management", [];
        Praesentation => "praesentation", "Präsentation", "Presentations", ["presentation", "präsentation"];
        CloudSpeicher => "cloud_speicher", "Cloud-Speicher / File-Sharing", "Cloud storage / file sharing", ["cloud-speicher", "file-sharing", "cloud storage"];
        MindMapping => "mind_mapping", "Mind Mapping", "Mind mapping", ["mindmapping"];
        Crm => "crm", "CRM", "CRM", ["crm-systeme"];
        Notizen => "notizen", "Notizen", "Notes", [];
        KollaborationChat => "kollaboration_chat", "Kollaboration / Chat", "Collaboration / chat", ["chat", "kollaboration"];
        Betriebssystem => "betriebssystem", "Betriebssystem", "Operating system", ["os"];
        Datenbank => "datenbank", "Datenbank", "Database", [];
        HostingCloud => "hosting_cloud", "Hosting/Cloud", "Hosting/cloud", ["hosting", "cloud"];
        Identitaet => "identitaet", "Identität und Anmeldung", "Identity and login", ["identität", "identity", "iam"];
        Fachverfahren => "fachverfahren", "Fachverfahren", "Specialised procedure", ["specialised application"];
        Sonstiges => "sonstiges", "Sonstiges", "Other", ["other"];
    }
}

keyed_enum! {
    /// Stage of a migration, in order; a roll-back ends a path.
    Stage {
        Erwogen => "erwogen", "erwogen", "considered", ["considered"];
        Geplant => "geplant", "geplant", "planned", ["planned"];
        Pilot => "pilot", "Pilot", "pilot", [];
        Rollout => "rollout", "Rollout", "rollout", [];
        Abgeschlossen => "abgeschlossen", "abgeschlossen", "completed", ["completed", "done"];
        Zurueckgerollt => "zurueckgerollt", "zurückgerollt", "rolled back", ["rolled back", "rolled_back", "zurückgerollt"];
    }
}

impl Stage {
    /// The next stage of a path that goes ahead, if any.
    pub fn next(self) -> Option<Stage> {
        match self {
            Stage::Erwogen => Some(Stage::Geplant),
            Stage::Geplant => Some(Stage::Pilot),
            Stage::Pilot => Some(Stage::Rollout),
            Stage::Rollout => Some(Stage::Abgeschlossen),
            Stage::Abgeschlossen | Stage::Zurueckgerollt => None,
        }
    }

    /// Rank on the way to a completed migration. A roll-back counts as rollout-level experience:
    /// such an administration has been through pilot or rollout and has much to tell.
    pub fn rank(self) -> u8 {
        match self {
            Stage::Erwogen => 0,
            Stage::Geplant => 1,
            Stage::Pilot => 2,
            Stage::Rollout | Stage::Zurueckgerollt => 3,
            Stage::Abgeschlossen => 4,
        }
    }

    /// Position in [`Stage::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn keys_labels_and_synonyms_parse_back() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.key()), Some(*c));
            assert_eq!(Category::from_key(c.key()), Some(*c));
            assert_eq!(Category::parse(c.label(Lang::De)), Some(*c));
            assert_eq!(Category::parse(c.label(Lang::En)), Some(*c));
        }
        for (i, s) in Stage::ALL.iter().enumerate() {
            assert_eq!(Stage::parse(s.key()), Some(*s));
            assert_eq!(s.index(), i);
        }
        assert_eq!(Stage::parse("Rolled Back"), Some(Stage::Zurueckgerollt));
        assert_eq!(Category::from_key("Video"), None);
        assert_eq!(Stage::parse("unterwegs"), None);
    }

    #[test]
    fn stages_advance_in_order_and_end() {
        let mut s = Stage::Erwogen;
        let mut seen = vec![s];
        while let Some(n) = s.next() {
            assert!(n.rank() > s.rank());
            s = n;
            seen.push(s);
        }
        assert_eq!(s, Stage::Abgeschlossen);
        assert_eq!(seen.len(), 5);
        assert_eq!(Stage::Zurueckgerollt.next(), None);
        assert_eq!(Stage::Zurueckgerollt.rank(), Stage::Rollout.rank());
    }
}
