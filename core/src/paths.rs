//! The published path catalogue: the migration targets of the report's table of European
//! alternatives (and the deep dependencies it names), each a (category, target product) pair, and
//! the stages of a migration. Node and aggregator derive the `path.*` metrics from it.

use crate::i18n::Lang;
use crate::vocab::{Category, Stage};

/// Categories with their European alternatives: (category, products). The first eleven rows are
/// the report's table; the last rows are the deep dependencies it names, with commonly used
/// alternatives.
pub const ALTERNATIVES: &[(Category, &[&str])] = &[
    (Category::Textverarbeitung, &["OnlyOffice", "LibreOffice"]),
    (
        Category::Tabellenkalkulation,
        &["LibreOffice Calc", "Collabora"],
    ),
    (Category::EmailKalender, &["Open-Xchange", "Tuta"]),
    (Category::Videokonferenzen, &["Alfaview", "BigBlueButton"]),
    (Category::Projektmanagement, &["MeisterTask", "Stackfield"]),
    (
        Category::Praesentation,
        &["OnlyOffice Presentation", "LibreOffice Impress"],
    ),
    (
        Category::CloudSpeicher,
        &["Nextcloud", "luckycloud", "Filr"],
    ),
    (Category::MindMapping, &["MindMeister", "Collaboard"]),
    (Category::Crm, &["Teamleader", "1CRM", "EspoCRM"]),
    (
        Category::Notizen,
        &["MeisterNotes", "Notesnook", "Zenkit", "Joplin"],
    ),
    (
        Category::KollaborationChat,
        &["Mattermost", "Element (Matrix)", "openDesk (ZenDiS)"],
    ),
    (Category::Betriebssystem, &["Linux-Arbeitsplatz"]),
    (Category::Datenbank, &["PostgreSQL", "MariaDB"]),
    (
        Category::HostingCloud,
        &[
            "Landesrechenzentrum / Deutsche Verwaltungscloud",
            "EU-Cloud-Anbieter",
        ],
    ),
    (Category::Identitaet, &["Keycloak"]),
];

/// Rows of [`ALTERNATIVES`] that come from the report's own table.
pub const FROM_REPORT: usize = 11;

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
    /// Category.
    pub category: Category,
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
        .flat_map(|(cat, products)| {
            products.iter().map(move |p| PathItem {
                id: format!("path.{}.{}", cat.key(), slug(p)),
                category: *cat,
                product: p,
                label_de: format!("Migrationspfad {} → {p}", cat.label(Lang::De)),
                label_en: format!("Migration path {} → {p}", cat.label(Lang::En)),
            })
        })
        .collect()
}

/// The path item for a category and a target product (case-insensitive).
pub fn find_path(category: Category, product: &str) -> Option<PathItem> {
    path_by_id(&format!("path.{}.{}", category.key(), slug(product))).cloned()
}

/// The path item with this id (`path.<category>.<product slug>`).
pub fn path_by_id(id: &str) -> Option<&'static PathItem> {
    path_catalogue().iter().find(|p| p.id == id)
}

/// Label of a path metric's category key: a stage, or "not on the path" for [`NOT_ON_PATH`]
/// and anything else.
pub fn stage_label(key: &str, lang: Lang) -> String {
    Stage::from_key(key)
        .map(|s| s.label(lang).to_string())
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
            find_path(Category::EmailKalender, "open-xchange")
                .unwrap()
                .id,
            "path.email_kalender.open_xchange"
        );
        assert!(find_path(Category::EmailKalender, "Outlook").is_none());
    }
}
