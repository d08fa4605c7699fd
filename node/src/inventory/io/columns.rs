//! The columns of an inventory file (English and German names, which are required) and the
//! error that names a line and column.

/// One column: key, English header, German header, required.
pub const COLUMNS: &[(&str, &str, &str, bool)] = &[
    ("name", "name", "Name", true),
    ("category", "category", "Kategorie", true),
    ("product", "product", "Produkt", false),
    ("vendor", "vendor", "Hersteller", false),
    ("jurisdiction", "jurisdiction", "Rechtsraum", true),
    ("hosting", "hosting", "Hosting", true),
    ("licence", "licence", "Lizenz", true),
    ("formats", "formats", "Formate", false),
    ("api", "api", "API", true),
    ("contract_end", "contract_end", "Vertragsende", false),
    (
        "notice_months",
        "notice_months",
        "Kuendigungsfrist_Monate",
        false,
    ),
    ("exit_clause", "exit_clause", "Ausstiegsklausel", true),
    ("relevance", "relevance", "Relevanz", true),
    ("users", "users", "Nutzende", true),
    (
        "exit_alternatives",
        "exit_alternatives",
        "Exit_Alternativen",
        false,
    ),
    (
        "exit_months",
        "exit_months",
        "Exit_Wechseldauer_Monate",
        false,
    ),
    ("exit_formats", "exit_formats", "Exit_Exportformate", false),
    (
        "exit_cost_per_workplace",
        "exit_cost_per_workplace",
        "Exit_Kosten_je_Arbeitsplatz",
        false,
    ),
    ("exit_status", "exit_status", "Exit_Status", false),
];

/// An error in an imported file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportError {
    /// 1-based line (CSV) or row (ODS).
    pub line: usize,
    /// 1-based column, 0 when the whole line or file is meant.
    pub column: usize,
    /// Header of the column.
    pub header: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column == 0 {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(
                f,
                "line {}, column {} ({}): {}",
                self.line, self.column, self.header, self.message
            )
        }
    }
}
