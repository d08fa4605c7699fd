//! The published path catalogue: the migration targets of the report's table of European
//! alternatives (and the deep dependencies it names), each a (category, target product) pair, and
//! the stages of a migration. Node and aggregator derive the `path.*` metrics from it.

use crate::i18n::Lang;

/// Categories with their European alternatives: (category key, German label, English label,
/// products). The first eleven rows are the report's table; the last rows are the deep
/// dependencies it names, with commonly used alternatives.
pub const ALTERNATIVES: &[(&str, &str, &str, &[&str])] = &[
    (
        "textverarbeitung",
        "Textverarbeitung",
        "Word processing",
        &["OnlyOffice", "LibreOffice"],
    ),
    (
        "tabellenkalkulation",
        "Tabellenkalkulation",
        "Spreadsheets",
        &["LibreOffice Calc", "Collabora"],
    ),
    (
        "email_kalender",
        "E-Mail & Kalender",
        "Email & calendar",
        &["Open-Xchange", "Tuta"],
    ),
    (
        "videokonferenzen",
        "Videokonferenzen",
        "Video conferencing",
        &["Alfaview", "BigBlueButton"],
    ),
    (
        "projektmanagement",
        "Projektmanagement",
        "Project management",
        &["MeisterTask", "Stackfield"],
    ),
    (
        "praesentation",
        "Präsentation",
        "Presentations",
        &["OnlyOffice Presentation", "LibreOffice Impress"],
    ),
    (
        "cloud_speicher",
        "Cloud-Speicher / File-Sharing",
        "Cloud storage / file sharing",
        &["Nextcloud", "luckycloud", "Filr"],
    ),
    (
        "mind_mapping",
        "Mind Mapping",
        "Mind mapping",
        &["MindMeister", "Collaboard"],
    ),
    ("crm", "CRM", "CRM", &["Teamleader", "1CRM", "EspoCRM"]),
    (
        "notizen",
        "Notizen",
        "Notes",
        &["MeisterNotes", "Notesnook", "Zenkit", "Joplin"],
    ),
    (
        "kollaboration_chat",
        "Kollaboration / Chat",
        "Collaboration / chat",
        &["Mattermost", "Element (Matrix)", "openDesk (ZenDiS)"],
    ),
    (
        "betriebssystem",
        "Betriebssystem",
        "Operating system",
        &["Linux-Arbeitsplatz"],
    ),
    (
        "datenbank",
        "Datenbank",
        "Database",
        &["PostgreSQL", "MariaDB"],
    ),
    (
        "hosting_cloud",
        "Hosting/Cloud",
        "Hosting/cloud",
        &[
            "Landesrechenzentrum / Deutsche Verwaltungscloud",
            "EU-Cloud-Anbieter",
        ],
    ),
    (
        "identitaet",
        "Identität und Anmeldung",
        "Identity and login",
        &["Keycloak"],
    ),
];

/// Rows of [`ALTERNATIVES`] that come from the report's own table.
pub const FROM_REPORT: usize = 11;

/// Stages of a migration, in order; `keiner` (not on the path) is the first category of a path
/// metric.
pub const STAGES: &[(&str, &str, &str)] = &[
    ("erwogen", "erwogen", "considered"),
    ("geplant", "geplant", "planned"),
    ("pilot", "Pilot", "pilot"),
    ("rollout", "Rollout", "rollout"),
    ("abgeschlossen", "abgeschlossen", "completed"),
    ("zurueckgerollt", "zurückgerollt", "rolled back"),
];

/// Category key of "not on this path".
pub const NOT_ON_PATH: &str = "keiner";

/// Lower-case ASCII slug of a product name (`Element (Matrix)` → `element_matrix`).
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        let c = match ch {
            'ä' | 'Ä' => "ae".to_string(),
            'ö' | 'Ö' => "oe".to_string(),
            'ü' | 'Ü' => "ue".to_string(),
            'ß' => "ss".to_string(),
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase().to_string(),
            _ => "_".to_string(),
        };
        out.push_str(&c);
    }
    out.split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// One path of the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct PathItem {
    /// Metric id, `path.<category>.<product slug>`.
    pub id: String,
    /// Category key.
    pub category: &'static str,
    /// Target product.
    pub product: &'static str,
    /// German label.
    pub label_de: String,
    /// English label.
    pub label_en: String,
}

/// The path catalogue (built once).
pub fn path_catalogue() -> &'static [PathItem] {
    static CATALOGUE: std::sync::OnceLock<Vec<PathItem>> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(build_path_catalogue)
}

fn build_path_catalogue() -> Vec<PathItem> {
    ALTERNATIVES
        .iter()
        .flat_map(|(cat, de, en, products)| {
            products.iter().map(move |p| PathItem {
                id: format!("path.{cat}.{}", slug(p)),
                category: cat,
                product: p,
                label_de: format!("Migrationspfad {de} → {p}"),
                label_en: format!("Migration path {en} → {p}"),
            })
        })
        .collect()
}

/// The path item for a category key and a target product (case-insensitive).
pub fn find_path(category: &str, product: &str) -> Option<PathItem> {
    path_by_id(&format!("path.{category}.{}", slug(product))).cloned()
}

/// The path item with this id (`path.<category>.<product slug>`).
pub fn path_by_id(id: &str) -> Option<&'static PathItem> {
    path_catalogue().iter().find(|p| p.id == id)
}

/// Label of a stage key.
pub fn stage_label(key: &str, lang: Lang) -> String {
    STAGES
        .iter()
        .find(|s| s.0 == key)
        .map(|s| lang.pick(s.1, s.2).to_string())
        .unwrap_or_else(|| {
            lang.pick("nicht auf dem Pfad", "not on the path")
                .to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_ids_are_stable_and_unique() {
        assert_eq!(slug("Element (Matrix)"), "element_matrix");
        assert_eq!(
            slug("Landesrechenzentrum / Deutsche Verwaltungscloud"),
            "landesrechenzentrum_deutsche_verwaltungscloud"
        );
        let c = path_catalogue();
        let mut ids: Vec<&str> = c.iter().map(|p| p.id.as_str()).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert_eq!(
            find_path("email_kalender", "open-xchange").unwrap().id,
            "path.email_kalender.open_xchange"
        );
        assert!(find_path("email_kalender", "Outlook").is_none());
    }
}
