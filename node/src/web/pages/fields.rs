//! Form fields shared by the pages that edit records: the values as given (kept when the form
//! comes back with problems) and each problem next to its field, linked with `aria-describedby`
//! and marked `aria-invalid`.

use std::collections::HashMap;

use maud::{html, Markup};

use crate::web::layout::field_error;

/// A form's values as given and its problems, by field name.
#[derive(Debug, Default, Clone)]
pub struct FormState {
    /// Values as given (or as stored, for a form opened on a record).
    pub given: HashMap<String, String>,
    /// Problems, by field name.
    pub errors: HashMap<String, String>,
}

impl FormState {
    /// The value of `name`, or "".
    pub fn value(&self, name: &str) -> &str {
        self.given.get(name).map(String::as_str).unwrap_or_default()
    }

    /// Sets a value.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.given.insert(name.to_string(), value.into());
    }

    /// Records a problem of `name`.
    pub fn fail(&mut self, name: &str, problem: impl Into<String>) {
        self.errors.insert(name.to_string(), problem.into());
    }

    /// The problem of `name`.
    pub fn error(&self, name: &str) -> Option<&str> {
        self.errors.get(name).map(String::as_str)
    }

    /// Whether there is any problem.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
    }
}

fn described_by(hint: Option<&str>, error: Option<&str>) -> Option<String> {
    let ids: Vec<&str> = [hint, error].into_iter().flatten().collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// An input (`kind`: text, number, date) with its label, hint and problem. The field's id is
/// `{form}-{name}`.
pub fn input(
    form: &str,
    name: &str,
    label: &str,
    kind: &str,
    hint: Option<&str>,
    st: &FormState,
) -> Markup {
    let id = format!("{form}-{name}");
    let hint_id = format!("{id}-hint");
    let err_id = format!("{id}-error");
    let error = st.error(name);
    html! {
        p {
            label for=(id) { (label) }
            @if let Some(h) = hint { span class="hint" id=(hint_id) { (h) } }
            (field_error(&err_id, error))
            input type=(kind) id=(id) name=(name) value=(st.value(name))
                aria-describedby=[described_by(hint.map(|_| hint_id.as_str()), error.map(|_| err_id.as_str()))]
                aria-invalid=[error.map(|_| "true")];
        }
    }
}

/// A choice from `options` (value, text) with its label and problem; a given value that is not
/// among the options is kept as an extra option, so that the person sees what was sent.
pub fn select(
    form: &str,
    name: &str,
    label: &str,
    options: &[(String, String)],
    st: &FormState,
) -> Markup {
    let id = format!("{form}-{name}");
    let err_id = format!("{id}-error");
    let error = st.error(name);
    let given = st.value(name);
    let known = options.iter().any(|(v, _)| v == given);
    html! {
        p {
            label for=(id) { (label) }
            (field_error(&err_id, error))
            select id=(id) name=(name)
                aria-describedby=[error.map(|_| err_id.as_str())]
                aria-invalid=[error.map(|_| "true")] {
                @if !known {
                    option value=(given) selected { (given) }
                }
                @for (v, text) in options {
                    option value=(v) selected[v == given] { (text) }
                }
            }
        }
    }
}

/// A multi-line text with its label and problem.
pub fn textarea(form: &str, name: &str, label: &str, st: &FormState) -> Markup {
    let id = format!("{form}-{name}");
    let err_id = format!("{id}-error");
    let error = st.error(name);
    html! {
        p {
            label for=(id) { (label) }
            (field_error(&err_id, error))
            textarea id=(id) name=(name) rows="3"
                aria-describedby=[error.map(|_| err_id.as_str())]
                aria-invalid=[error.map(|_| "true")] { (st.value(name)) }
        }
    }
}

/// The options of a keyed set: (key, label in `lang`).
macro_rules! keyed_options {
    ($t:ty, $lang:expr) => {
        <$t>::ALL
            .iter()
            .map(|v| (v.key().to_string(), v.label($lang).to_string()))
            .collect::<Vec<(String, String)>>()
    };
}
pub(crate) use keyed_options;

/// Yes / no options.
pub fn yes_no(lang: sovbench_core::i18n::Lang) -> Vec<(String, String)> {
    vec![
        ("ja".into(), lang.pick("ja", "yes").into()),
        ("nein".into(), lang.pick("nein", "no").into()),
    ]
}

/// A problem box above a form (for problems that belong to no single field).
pub fn problem(title: &str, items: &[String]) -> Markup {
    html! {
        div class="problem" role="alert" {
            p { (title) }
            @if !items.is_empty() {
                ul { @for i in items { li { (i) } } }
            }
        }
    }
}
