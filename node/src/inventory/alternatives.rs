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

/// The built-in catalogue (shared with the path catalogue in `sovbench_core::paths`).
pub fn builtin() -> Vec<Alternative> {
    let mut out = Vec::new();
    for (row, (category, products)) in sovbench_core::paths::ALTERNATIVES.iter().enumerate() {
        let category = *category;
        for p in *products {
            out.push(Alternative {
                category,
                product: (*p).to_string(),
                source: if row < sovbench_core::paths::FROM_REPORT {
                    "report"
                } else {
                    "sovbench"
                }
                .to_string(),
            });
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
