//! The page shell of the workplace: skip link, header with the administration and the person,
//! navigation, language switch, the confirmation of the last change, and the stylesheet. Pieces
//! that several pages use ([`csrf_field`], [`field_error`], [`date`]) are here too.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sovbench_core::i18n::Lang;

use crate::people::Action;
use crate::web::ctx::{self, Ctx};

/// The pages of the navigation: path, German and English name, what reading it needs.
pub const NAV: &[(&str, &str, &str, Action)] = &[
    ("/", "Start", "Start", Action::Read),
    ("/selftest", "Selbsttest", "Self-test", Action::Read),
    ("/inventory", "Inventar", "Inventory", Action::Read),
    ("/procurement", "Beschaffung", "Procurement", Action::Read),
    ("/paths", "Migrationspfade", "Migration paths", Action::Read),
    ("/rounds", "Runden", "Rounds", Action::Read),
    ("/comparison", "Vergleich", "Comparison", Action::Read),
    ("/peers", "Peers", "Peers", Action::Read),
    ("/privacy", "Datenschutz", "Privacy", Action::ReadPrivacy),
    ("/people", "Personen", "People", Action::ManagePeople),
];

const CSS: &str = include_str!("static/workplace.css");

/// `GET /static/workplace.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// A full page of a signed-in person.
pub fn page(ctx: &Ctx<'_>, title: &str, body: Markup) -> Markup {
    let lang = ctx.lang;
    let name = ctx
        .node()
        .profile()
        .map(|p| p.name)
        .unwrap_or_else(|_| String::from("sovbench"));
    let here = ctx.uri.path();
    let other = match lang {
        Lang::De => Lang::En,
        Lang::En => Lang::De,
    };
    html! {
        (DOCTYPE)
        html lang=(ctx::lang_key(lang)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (name) " – sovbench" }
                link rel="stylesheet" href="/static/workplace.css";
            }
            body {
                a class="skip" href="#main" { (lang.pick("Zum Inhalt springen", "Skip to content")) }
                header class="top" {
                    p class="brand" { "sovbench · " strong { (name) } }
                    nav aria-label=(lang.pick("Sprache", "Language")) class="lang" {
                        a href=(ctx::switch_lang(&ctx.uri, other)) lang=(ctx::lang_key(other)) hreflang=(ctx::lang_key(other)) {
                            (other.pick("Deutsch", "English"))
                        }
                    }
                    form method="post" action=(ctx::with_lang("/logout", lang)) class="logout" {
                        (csrf_field(ctx))
                        span { (ctx.person()) " (" (ctx.session.role.label(lang)) ") " }
                        button type="submit" { (lang.pick("Abmelden", "Log out")) }
                    }
                }
                nav aria-label=(lang.pick("Hauptnavigation", "Main navigation")) class="main" {
                    ul {
                        @for (path, de, en, need) in NAV {
                            @if ctx.may(*need) {
                                li {
                                    @if *path == here {
                                        a href=(ctx::with_lang(path, lang)) aria-current="page" { (lang.pick(de, en)) }
                                    } @else {
                                        a href=(ctx::with_lang(path, lang)) { (lang.pick(de, en)) }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    @if let Some(flash) = &ctx.flash {
                        div class="flash" role="status" { (flash) }
                    }
                    h1 { (title) }
                    (body)
                }
                footer {
                    p { (lang.pick(
                        "sovbench: Ihre Daten bleiben auf diesem Knoten. Sie verlassen ihn nur differentiell privat oder verschlüsselt, und nur, wenn eine berechtigte Person sie sendet.",
                        "sovbench: your data stays on this node. It leaves only differentially private or encrypted, and only when a person allowed to sends it.")) }
                }
            }
        }
    }
}

/// A page without navigation (log-in, errors).
pub fn bare(lang: Lang, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(ctx::lang_key(lang)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – sovbench" }
                link rel="stylesheet" href="/static/workplace.css";
            }
            body {
                header class="top" { p class="brand" { "sovbench" } }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The hidden CSRF field of a form.
pub fn csrf_field(ctx: &Ctx<'_>) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.session.csrf); }
}

/// The error text of a form field, referenced by the field's `aria-describedby`.
pub fn field_error(id: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error {
            p class="field-error" id=(id) { (e) }
        }
    }
}

/// A day (days since 1970-01-01, or Unix seconds / 86 400) as the language writes it.
pub fn date(unix_secs: i64, lang: Lang) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(unix_secs)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    match lang {
        Lang::De => format!("{:02}.{:02}.{}", d.day(), u8::from(d.month()), d.year()),
        Lang::En => format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
    }
}

/// A time of day and date.
pub fn date_time(unix_secs: i64, lang: Lang) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(unix_secs)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{} {:02}:{:02} UTC",
        date(unix_secs, lang),
        d.hour(),
        d.minute()
    )
}

/// A number with the language's decimal separator.
pub fn num(x: f64, decimals: usize, lang: Lang) -> String {
    let s = format!("{x:.decimals$}");
    match lang {
        Lang::De => s.replace('.', ","),
        Lang::En => s,
    }
}

/// Markup that is already safe (an SVG chart rendered by [`crate::present::chart`], which
/// escapes its text itself).
pub fn trusted_svg(svg: String) -> Markup {
    PreEscaped(svg)
}
