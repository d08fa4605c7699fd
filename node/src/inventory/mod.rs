//! The system inventory (Systeminventur): which products from whom, under which contracts, how
//! they are hosted, how they can be left; risk, exit scenarios and the annual switch-readiness
//! check build on it. Everything here stays on the node; only privatised summaries
//! (`inventory.*` metrics) can leave it.
//!
//! This module holds the records and their summary and imports nothing from the rest of the
//! node (the store keeps these records); [`edit`] holds the rules for changing them, [`io`] the
//! file formats, [`risk`] the dependency risk, [`alternatives`] the catalogue of alternatives.

pub mod alternatives;
pub mod edit;
pub mod io;
pub mod risk;

use serde::{Deserialize, Serialize};

pub(crate) use sovbench_core::keyed_enum;
pub use sovbench_core::vocab::Category;

keyed_enum! {
    /// Legal jurisdiction of the vendor.
    Jurisdiction {
        EuEea => "eu_ewr", "EU/EWR", "EU/EEA", ["eu", "ewr", "eea", "eu_eea"];
        Us => "us", "USA", "US", ["usa", "vereinigte staaten"];
        Other => "andere", "andere", "other", ["other", "sonstige"];
    }
}

keyed_enum! {
    /// Where the system runs.
    Hosting {
        OwnDataCentre => "eigenes_rz", "eigenes Rechenzentrum", "own data centre", ["own", "on-premises", "on_premises", "eigenes rz"];
        PublicProvider => "oeffentlicher_dienstleister", "öffentlicher IT-Dienstleister / Landesrechenzentrum", "public IT service provider / state data centre", ["public_provider", "landesrechenzentrum", "lrz", "kommunaler dienstleister"];
        EuCloud => "eu_cloud", "EU-Cloud-Anbieter", "EU cloud provider", ["eu-cloud"];
        NonEuProviderEuRegion => "nicht_eu_anbieter_eu_region", "Nicht-EU-Anbieter in EU-Region", "non-EU provider in an EU region", ["non_eu_provider_eu_region"];
        OutsideEu => "ausserhalb_eu", "außerhalb der EU", "outside the EU", ["outside_eu", "außerhalb_eu"];
    }
}

keyed_enum! {
    /// Licence model.
    Licence {
        OpenSource => "open_source", "Open Source", "open source", ["oss", "quelloffen", "open-source", "frei"];
        Proprietary => "proprietaer", "proprietär", "proprietary", ["proprietary", "proprietär"];
    }
}

keyed_enum! {
    /// Relevance of a system for the administration (Relevanz).
    Relevance {
        Kritisch => "kritisch", "kritisch", "critical", ["critical"];
        Hoch => "hoch", "hoch", "high", ["high"];
        Mittel => "mittel", "mittel", "medium", ["medium"];
        Niedrig => "niedrig", "niedrig", "low", ["low"];
    }
}

keyed_enum! {
    /// State of an exit scenario.
    ExitStatus {
        Entwurf => "entwurf", "Entwurf", "draft", ["draft"];
        Abgestimmt => "abgestimmt", "abgestimmt", "agreed", ["agreed"];
        Getestet => "getestet", "getestet", "tested", ["tested"];
    }
}

/// Formats and interfaces that count as open export formats (the readiness check and the
/// `inventory.open_format_share` metric use this list). OOXML is an ISO standard but tied to one
/// vendor's products; following the report's preference for ODF it does not count here.
pub const OPEN_FORMATS: &[&str] = &[
    "ODF",
    "CSV",
    "JSON",
    "XML",
    "ICALENDAR",
    "CALDAV",
    "CARDDAV",
    "VCARD",
    "IMAP",
    "WEBDAV",
    "PDF/A",
    "SQL",
    "HTML",
    "MARKDOWN",
    "EML",
    "MBOX",
];

/// Whether a format counts as open (case-insensitive; `iCalendar/CalDAV` counts as both).
pub fn is_open_format(f: &str) -> bool {
    f.split('/')
        .any(|part| OPEN_FORMATS.contains(&part.trim().to_uppercase().as_str()))
}

/// Default migration cost per workplace in EUR (the report: 5,000-7,000 EUR in pilots, mostly
/// training); adjustable per exit scenario.
pub const DEFAULT_COST_PER_WORKPLACE: u32 = 6_000;

/// An exit scenario for one system (Stufe 3 of the report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExitScenario {
    /// Alternatives considered (from the catalogue or the user's own).
    pub alternatives: Vec<String>,
    /// Estimated switch duration in months.
    pub switch_months: u32,
    /// Data export formats to use.
    pub export_formats: Vec<String>,
    /// Migration cost per workplace in EUR.
    pub cost_per_workplace: u32,
    /// State of the scenario.
    pub status: ExitStatus,
}

impl ExitScenario {
    /// Estimated cost: users x cost per workplace.
    pub fn estimated_cost(&self, users: u32) -> u64 {
        u64::from(users) * u64::from(self.cost_per_workplace)
    }
}

/// One system of the inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// Unique name within the inventory.
    pub name: String,
    /// Category.
    pub category: Category,
    /// Product.
    pub product: String,
    /// Vendor.
    pub vendor: String,
    /// The vendor's jurisdiction.
    pub jurisdiction: Jurisdiction,
    /// Hosting.
    pub hosting: Hosting,
    /// Licence model.
    pub licence: Licence,
    /// Open standards and export formats supported (ODF, OOXML, CSV, CalDAV, SAML, OIDC, ...).
    #[serde(default)]
    pub formats: Vec<String>,
    /// Whether an API is available.
    pub api: bool,
    /// Contract end, days since 1970-01-01 (none for open source without a contract).
    #[serde(default, with = "opt_date")]
    pub contract_end: Option<i64>,
    /// Notice period in months.
    #[serde(default)]
    pub notice_months: Option<u32>,
    /// Whether the contract has an exit clause.
    pub exit_clause: bool,
    /// Relevance.
    pub relevance: Relevance,
    /// Number of users.
    pub users: u32,
    /// Exit scenario, once defined.
    #[serde(default)]
    pub exit: Option<ExitScenario>,
}

impl System {
    /// Whether the system supports at least one open export format.
    pub fn has_open_format(&self) -> bool {
        self.formats.iter().any(|f| is_open_format(f))
    }

    /// Whether the vendor or the hosting puts the data under non-EU jurisdiction.
    pub fn non_eu_jurisdiction(&self) -> bool {
        self.jurisdiction != Jurisdiction::EuEea
            || matches!(
                self.hosting,
                Hosting::NonEuProviderEuRegion | Hosting::OutsideEu
            )
    }

    /// Checks the record's own consistency.
    pub fn validate(&self) -> Result<(), RecordError> {
        if self.name.trim().is_empty() {
            return Err(RecordError::EmptyName);
        }
        if self.name.len() > 200 {
            return Err(RecordError::LongName);
        }
        if let Some(e) = &self.exit {
            if e.switch_months > 240 {
                return Err(RecordError::SwitchMonths(e.switch_months));
            }
        }
        Ok(())
    }
}

/// A system record that is not consistent in itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The name is empty.
    #[error("name must not be empty")]
    EmptyName,
    /// The name is too long.
    #[error("name is longer than 200 characters")]
    LongName,
    /// The exit scenario's switch duration is implausible.
    #[error("exit switch duration {0} months is implausible")]
    SwitchMonths(u32),
}

/// Serde for optional dates as `YYYY-MM-DD` strings.
mod opt_date {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&sovbench_core::time::format_days(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let v: Option<String> = Option::deserialize(d)?;
        match v {
            None => Ok(None),
            Some(t) if t.trim().is_empty() => Ok(None),
            Some(t) => sovbench_core::time::parse_date(&t)
                .map(Some)
                .ok_or_else(|| {
                    serde::de::Error::custom(format!("invalid date {t:?}, use YYYY-MM-DD"))
                }),
        }
    }
}

/// Shares and counts over an inventory: the true values of the `inventory.*` metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InventorySummary {
    /// Systems.
    pub systems: usize,
    /// Critical systems.
    pub critical: usize,
    /// Share of critical systems with an exit scenario (1 when there are no critical systems).
    pub critical_with_exit_share: f64,
    /// Share of systems under non-EU jurisdiction (vendor or hosting).
    pub non_eu_share: f64,
    /// Share of open-source systems.
    pub open_source_share: f64,
    /// Contracts ending within 24 months without an exit clause.
    pub contracts_24m_no_exit: usize,
    /// Share of systems with an open export format.
    pub open_format_share: f64,
}

/// Summarises an inventory as of `today` (days since 1970-01-01). `None` for an empty inventory.
pub fn summarise(systems: &[System], today: i64) -> Option<InventorySummary> {
    if systems.is_empty() {
        return None;
    }
    let n = systems.len() as f64;
    let share = |f: &dyn Fn(&System) -> bool| systems.iter().filter(|s| f(s)).count() as f64 / n;
    let critical: Vec<&System> = systems
        .iter()
        .filter(|s| s.relevance == Relevance::Kritisch)
        .collect();
    Some(InventorySummary {
        systems: systems.len(),
        critical: critical.len(),
        critical_with_exit_share: if critical.is_empty() {
            1.0
        } else {
            critical.iter().filter(|s| s.exit.is_some()).count() as f64 / critical.len() as f64
        },
        non_eu_share: share(&|s| s.non_eu_jurisdiction()),
        open_source_share: share(&|s| s.licence == Licence::OpenSource),
        contracts_24m_no_exit: systems
            .iter()
            .filter(|s| {
                !s.exit_clause
                    && s.contract_end
                        .is_some_and(|d| d >= today && d <= today + 730)
            })
            .count(),
        open_format_share: share(&|s| s.has_open_format()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn system(name: &str) -> System {
        System {
            name: name.into(),
            category: Category::EmailKalender,
            product: "Exchange Online".into(),
            vendor: "Microsoft".into(),
            jurisdiction: Jurisdiction::Us,
            hosting: Hosting::NonEuProviderEuRegion,
            licence: Licence::Proprietary,
            formats: vec!["IMAP".into(), "OOXML".into()],
            api: true,
            contract_end: sovbench_core::time::parse_date("2027-06-30"),
            notice_months: Some(6),
            exit_clause: false,
            relevance: Relevance::Kritisch,
            users: 400,
            exit: None,
        }
    }

    #[test]
    fn keyed_values_parse_in_german_and_english() {
        assert_eq!(Relevance::parse("Kritisch"), Some(Relevance::Kritisch));
        assert_eq!(Relevance::parse("critical"), Some(Relevance::Kritisch));
        assert_eq!(
            Category::parse("E-Mail & Kalender"),
            Some(Category::EmailKalender)
        );
        assert_eq!(
            Hosting::parse("Landesrechenzentrum"),
            Some(Hosting::PublicProvider)
        );
        assert_eq!(Licence::parse("OSS"), Some(Licence::OpenSource));
        assert_eq!(Jurisdiction::parse("EU/EEA"), Some(Jurisdiction::EuEea));
        assert_eq!(Category::parse("Quantencomputer"), None);
        assert!(Category::keys().contains("fachverfahren"));
    }

    #[test]
    fn open_formats_and_summary() {
        assert!(is_open_format("iCalendar/CalDAV"));
        assert!(is_open_format("odf"));
        assert!(!is_open_format("OOXML"));
        let today = sovbench_core::time::parse_date("2026-11-26").unwrap();
        let mut a = system("Mail");
        let mut b = system("Dateiablage");
        b.licence = Licence::OpenSource;
        b.jurisdiction = Jurisdiction::EuEea;
        b.hosting = Hosting::OwnDataCentre;
        b.relevance = Relevance::Mittel;
        b.formats = vec!["WebDAV".into()];
        b.contract_end = None;
        let s = summarise(&[a.clone(), b.clone()], today).unwrap();
        assert_eq!(s.critical, 1);
        assert_eq!(s.critical_with_exit_share, 0.0);
        assert_eq!(s.non_eu_share, 0.5);
        assert_eq!(s.open_source_share, 0.5);
        assert_eq!(s.contracts_24m_no_exit, 1);
        assert_eq!(s.open_format_share, 1.0);
        a.exit = Some(ExitScenario {
            alternatives: vec!["Open-Xchange".into()],
            switch_months: 9,
            export_formats: vec!["IMAP".into()],
            cost_per_workplace: DEFAULT_COST_PER_WORKPLACE,
            status: ExitStatus::Entwurf,
        });
        assert_eq!(a.exit.as_ref().unwrap().estimated_cost(a.users), 2_400_000);
        assert_eq!(
            summarise(&[a, b], today).unwrap().critical_with_exit_share,
            1.0
        );
        assert!(summarise(&[], today).is_none());
    }
}
