//! One row of an inventory file read into a [`System`]: every cell checked, every problem
//! recorded with its line and column.

use std::collections::HashMap;

use super::super::{
    Category, ExitScenario, ExitStatus, Hosting, Jurisdiction, Licence, Relevance, System,
    DEFAULT_COST_PER_WORKPLACE,
};
use super::columns::{ImportError, COLUMNS};

pub(super) fn header_of(header: &[String], c: usize) -> String {
    header.get(c).cloned().unwrap_or_default()
}

pub(super) struct Row<'a> {
    pub(super) line: usize,
    pub(super) cells: &'a [String],
    pub(super) index: &'a HashMap<&'static str, usize>,
    pub(super) errors: &'a mut Vec<ImportError>,
}

impl Row<'_> {
    fn cell(&self, key: &str) -> Option<(usize, &str)> {
        let c = *self.index.get(key)?;
        let v = self.cells.get(c).map_or("", |s| s.trim());
        (!v.is_empty()).then_some((c, v))
    }

    fn err(&mut self, key: &str, message: String) {
        let c = self.index.get(key).copied();
        let (en, de) = COLUMNS
            .iter()
            .find(|x| x.0 == key)
            .map_or(("", ""), |x| (x.1, x.2));
        self.errors.push(ImportError {
            line: self.line,
            column: c.map_or(0, |c| c + 1),
            header: format!("{en} / {de}"),
            message,
        });
    }

    fn required(&mut self, key: &str) -> Option<String> {
        match self.cell(key) {
            Some((_, v)) => Some(v.to_string()),
            None => {
                self.err(key, "required value is empty".into());
                None
            }
        }
    }

    fn text(&self, key: &str) -> String {
        self.cell(key)
            .map(|(_, v)| v.to_string())
            .unwrap_or_default()
    }

    fn list(&self, key: &str) -> Vec<String> {
        self.cell(key)
            .map(|(_, v)| {
                v.split([',', ';', '|'])
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn parsed<T>(&mut self, key: &str, parse: fn(&str) -> Option<T>, allowed: String) -> Option<T> {
        let v = self.required(key)?;
        match parse(&v) {
            Some(x) => Some(x),
            None => {
                self.err(key, format!("{v:?} is not allowed; use one of: {allowed}"));
                None
            }
        }
    }

    fn boolean(&mut self, key: &str) -> Option<bool> {
        self.parsed(key, parse_bool, "ja, nein, yes, no".into())
    }

    fn number(&mut self, key: &str, required: bool) -> Option<Option<u32>> {
        match self.cell(key) {
            None if required => {
                self.err(key, "required value is empty".into());
                None
            }
            None => Some(None),
            Some((_, v)) => {
                let v = v.to_string();
                let what = if key == "exit_cost_per_workplace" {
                    "euros per workplace"
                } else {
                    "this column"
                };
                match super::numbers::parse_whole(&v, what) {
                    Ok(n) => Some(Some(n)),
                    Err(message) => {
                        self.err(key, message);
                        None
                    }
                }
            }
        }
    }

    pub(super) fn system(&mut self) -> Option<System> {
        let before = self.errors.len();
        let name = self.required("name");
        let category = self.parsed("category", Category::parse, Category::keys());
        let jurisdiction = self.parsed("jurisdiction", Jurisdiction::parse, Jurisdiction::keys());
        let hosting = self.parsed("hosting", Hosting::parse, Hosting::keys());
        let licence = self.parsed("licence", Licence::parse, Licence::keys());
        let api = self.boolean("api");
        let exit_clause = self.boolean("exit_clause");
        let relevance = self.parsed("relevance", Relevance::parse, Relevance::keys());
        let users = self.number("users", true).flatten();
        let notice = self.number("notice_months", false);
        let contract_end = match self.cell("contract_end") {
            None => Some(None),
            Some((_, v)) => {
                let v = v.to_string();
                match sovbench_core::time::parse_date(&v) {
                    Some(d) => Some(Some(d)),
                    None => {
                        self.err(
                            "contract_end",
                            format!("{v:?} is not a valid date; use YYYY-MM-DD or DD.MM.YYYY"),
                        );
                        None
                    }
                }
            }
        };
        let any_exit = [
            "exit_alternatives",
            "exit_months",
            "exit_formats",
            "exit_cost_per_workplace",
            "exit_status",
        ]
        .iter()
        .any(|k| self.cell(k).is_some());
        let exit = if any_exit {
            let months = self.number("exit_months", true).flatten();
            let cost = self
                .number("exit_cost_per_workplace", false)
                .map(|c| c.unwrap_or(DEFAULT_COST_PER_WORKPLACE));
            let status = match self.cell("exit_status") {
                None => Some(ExitStatus::Entwurf),
                Some(_) => self.parsed("exit_status", ExitStatus::parse, ExitStatus::keys()),
            };
            match (months, cost, status) {
                (Some(switch_months), Some(cost_per_workplace), Some(status)) => {
                    Some(Some(ExitScenario {
                        alternatives: self.list("exit_alternatives"),
                        switch_months,
                        export_formats: self.list("exit_formats"),
                        cost_per_workplace,
                        status,
                    }))
                }
                _ => None,
            }
        } else {
            Some(None)
        };
        if self.errors.len() > before {
            return None;
        }
        let s = System {
            name: name?,
            category: category?,
            product: self.text("product"),
            vendor: self.text("vendor"),
            jurisdiction: jurisdiction?,
            hosting: hosting?,
            licence: licence?,
            formats: self.list("formats"),
            api: api?,
            contract_end: contract_end?,
            notice_months: notice?,
            exit_clause: exit_clause?,
            relevance: relevance?,
            users: users?,
            exit: exit?,
        };
        if let Err(m) = s.validate() {
            self.err("name", m.to_string());
            return None;
        }
        Some(s)
    }
}

/// Parses ja/nein, yes/no, true/false, 1/0, x/leer.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "ja" | "yes" | "true" | "wahr" | "1" | "x" | "j" | "y" => Some(true),
        "nein" | "no" | "false" | "falsch" | "0" | "n" | "-" => Some(false),
        _ => None,
    }
}
