//! The catalogue of European alternatives, built from the report's table ("Es gibt Alternativen")
//! and extended for the deep dependencies it names; administrations can add their own.

use serde::{Deserialize, Serialize};

use super::Category;

/// One alternative product for a category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    /// Category it replaces systems of.
    pub category: Category,
    /// Product.
    pub product: String,
    /// Where the entry comes from: `report` (the report's table), `sovbench` (added for the deep
    /// dependencies the report names without a table), `user`.
    pub source: String,
}

/// Common US products per category, as the report's table names them (for matching an inventory
/// system to its category's alternatives).
pub const US_PRODUCTS: &[(Category, &[&str])] = &[
    (Category::Textverarbeitung, &["Microsoft Word"]),
    (Category::Tabellenkalkulation, &["Excel"]),
    (Category::EmailKalender, &["Microsoft Outlook"]),
    (Category::Videokonferenzen, &["Microsoft Teams", "Zoom"]),
    (
        Category::Projektmanagement,
        &["Trello", "MS Planner", "Asana"],
    ),
    (Category::Praesentation, &["PowerPoint"]),
    (Category::CloudSpeicher, &["Google Drive", "OneDrive"]),
    (Category::MindMapping, &["Miro", "Mural"]),
    (Category::Crm, &["Salesforce"]),
    (Category::Notizen, &["Evernote", "MS To Do"]),
    (Category::KollaborationChat, &["Slack"]),
];

/// The built-in catalogue.
pub fn builtin() -> Vec<Alternative> {
    let report: &[(Category, &[&str])] = &[
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
            &["Mattermost", "Element (Matrix)"],
        ),
    ];
    let deep: &[(Category, &[&str])] = &[
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
        (Category::KollaborationChat, &["openDesk (ZenDiS)"]),
    ];
    let mut out = Vec::new();
    for (source, table) in [("report", report), ("sovbench", deep)] {
        for (cat, products) in table {
            for p in *products {
                out.push(Alternative {
                    category: *cat,
                    product: (*p).to_string(),
                    source: source.to_string(),
                });
            }
        }
    }
    out
}

/// Alternatives for a category: built-in first, then the user's own.
pub fn for_category(category: Category, user: &[Alternative]) -> Vec<Alternative> {
    builtin()
        .into_iter()
        .chain(user.iter().cloned())
        .filter(|a| a.category == category)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_of_the_report_table_has_alternatives() {
        for (cat, _) in US_PRODUCTS {
            assert!(!for_category(*cat, &[]).is_empty(), "{cat:?}");
        }
        let mail = for_category(Category::EmailKalender, &[]);
        assert!(mail
            .iter()
            .any(|a| a.product == "Open-Xchange" && a.source == "report"));
        let own = Alternative {
            category: Category::Fachverfahren,
            product: "OK.VERFAHREN".into(),
            source: "user".into(),
        };
        assert_eq!(for_category(Category::Fachverfahren, &[own]).len(), 1);
    }
}
