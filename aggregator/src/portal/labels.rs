//! Readable names of cohorts ("Gemeinden 5.000–20.000 Einw.", "Schleswig-Holstein") and
//! numbers in German or English notation.

use sovbench_core::cell::Cohort;
use sovbench_core::cohort::{Kind, SizeClass, BUNDESLAENDER};
use sovbench_core::i18n::Lang;

/// The kind of administration in the plural, as a cohort's name.
pub fn kind_plural(kind: Kind, lang: Lang) -> &'static str {
    match kind {
        Kind::Gemeinde => lang.pick("Gemeinden", "Municipalities"),
        Kind::Stadt => lang.pick("Städte", "Towns and cities"),
        Kind::Landkreis => lang.pick("Landkreise", "Districts"),
        Kind::Land => lang.pick("Landesverwaltungen", "State administrations"),
        Kind::Bund => lang.pick("Bundesverwaltung", "Federal administration"),
        Kind::ItDienstleister => lang.pick(
            "Kommunale IT-Dienstleister",
            "Municipal IT service providers",
        ),
    }
}

/// A size class as people read it: "5.000–20.000 Einw.", "250–1,000 staff".
pub fn size_label(size: SizeClass, lang: Lang) -> String {
    let (lo, hi, staff) = match size {
        SizeClass::PopLt5k => (None, Some(5_000), false),
        SizeClass::Pop5kTo20k => (Some(5_000), Some(20_000), false),
        SizeClass::Pop20kTo50k => (Some(20_000), Some(50_000), false),
        SizeClass::Pop50kTo100k => (Some(50_000), Some(100_000), false),
        SizeClass::Pop100kTo500k => (Some(100_000), Some(500_000), false),
        SizeClass::Pop500kPlus => (Some(500_000), None, false),
        SizeClass::StaffLt250 => (None, Some(250), true),
        SizeClass::Staff250To1k => (Some(250), Some(1_000), true),
        SizeClass::Staff1kTo5k => (Some(1_000), Some(5_000), true),
        SizeClass::Staff5kPlus => (Some(5_000), None, true),
    };
    let unit = if staff {
        lang.pick("Beschäftigte", "staff")
    } else {
        lang.pick("Einw.", "inhabitants")
    };
    let n = |v: u64| sovbench_core::display::thousands(v, lang);
    match (lo, hi) {
        (None, Some(h)) => format!("{} {} {unit}", lang.pick("unter", "under"), n(h)),
        (Some(l), Some(h)) => format!("{}–{} {unit}", n(l), n(h)),
        (Some(l), None) => format!("{} {unit} {}", n(l), lang.pick("und mehr", "or more")),
        (None, None) => unit.to_string(),
    }
}

/// The name of a Land by its ISO 3166-2:DE code, or the code.
pub fn state_name(code: &str) -> &str {
    BUNDESLAENDER
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, n)| n)
}

/// A cohort's readable name; labels outside the grammar (the rest cells of mode secure's grid)
/// are named as far as they can be, else shown as they are.
pub fn cohort_name(label: &str, lang: Lang) -> String {
    if let Ok(c) = label.parse::<Cohort>() {
        return match c {
            Cohort::All => lang.pick("Alle Verwaltungen", "All administrations").into(),
            Cohort::Kind(k) => kind_plural(k, lang).into(),
            Cohort::State(s) => format!("{}: {}", lang.pick("Land", "State"), state_name(&s)),
            Cohort::Size(s) => format!(
                "{} {}",
                lang.pick("Verwaltungen", "Administrations"),
                size_label(s, lang)
            ),
            Cohort::KindSize(k, s) => format!("{} {}", kind_plural(k, lang), size_label(s, lang)),
        };
    }
    if label == "rest" {
        return lang
            .pick("Übrige Verwaltungen", "Other administrations")
            .into();
    }
    if let Some(k) = label
        .strip_prefix("kind=")
        .and_then(|r| r.strip_suffix(",size=rest"))
        .and_then(|k| k.parse::<Kind>().ok())
    {
        return format!(
            "{}, {}",
            kind_plural(k, lang),
            lang.pick("übrige Größen", "other sizes")
        );
    }
    label.to_string()
}

/// A number with `decimals` places in the language's notation (decimal comma in German).
pub fn num(v: f64, decimals: usize, lang: Lang) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s.trim_start_matches('-').to_string()
    } else {
        s
    };
    match lang {
        Lang::De => s.replace('.', ",").replace('-', "−"),
        Lang::En => s.replace('-', "−"),
    }
}

/// A signed number (`+0,69`, `−1,20`).
pub fn signed(v: f64, decimals: usize, lang: Lang) -> String {
    let s = num(v, decimals, lang);
    if s.starts_with('−') || s.trim_start_matches(['0', '.', ',']).is_empty() {
        s
    } else {
        format!("+{s}")
    }
}

/// Decimals to show for values in `[lo, hi]`: shares with three, scores with two.
pub fn decimals_for(range: (f64, f64)) -> usize {
    if range.1 - range.0 <= 1.0 {
        3
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohorts_read_as_names() {
        assert_eq!(
            cohort_name("kind=gemeinde,size=5k-20k", Lang::De),
            "Gemeinden 5.000–20.000 Einw."
        );
        assert_eq!(
            cohort_name("kind=gemeinde,size=5k-20k", Lang::En),
            "Municipalities 5,000–20,000 inhabitants"
        );
        assert_eq!(
            cohort_name("state=DE-SH", Lang::De),
            "Land: Schleswig-Holstein"
        );
        assert_eq!(
            cohort_name("size=lt5k", Lang::De),
            "Verwaltungen unter 5.000 Einw."
        );
        assert_eq!(cohort_name("all", Lang::En), "All administrations");
        assert_eq!(
            cohort_name("kind=stadt,size=rest", Lang::De),
            "Städte, übrige Größen"
        );
        assert_eq!(cohort_name("weird", Lang::De), "weird");
    }

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(num(2.756, 2, Lang::De), "2,76");
        assert_eq!(num(-0.001, 2, Lang::En), "0.00");
        assert_eq!(signed(0.69, 2, Lang::De), "+0,69");
        assert_eq!(signed(-1.2, 2, Lang::En), "−1.20");
        assert_eq!(signed(0.0, 2, Lang::En), "0.00");
    }
}
