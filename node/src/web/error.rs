//! [`WebError`], the one place where the workplace's errors become HTTP answers: a log-in
//! redirect, or a page that says in the person's language what went wrong and what to do.

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::html;
use sovbench_core::i18n::Lang;

use crate::error::NodeError;
use crate::people::Role;
use crate::web::ctx::{self, see_other};
use crate::web::layout;
use crate::web::oidc::ProviderProblem;

/// Why a request of the workplace failed.
#[derive(Debug)]
pub enum WebError {
    /// No session: to the log-in page, then back to this path.
    SignIn(String),
    /// The role may not do this.
    Forbidden {
        /// Language of the answer.
        lang: Lang,
        /// The person's role.
        role: Role,
    },
    /// The form's CSRF token is missing or wrong.
    Csrf(Lang),
    /// A form or upload that cannot be read at all (field-level problems are shown on the
    /// form itself).
    BadRequest(Lang, String),
    /// No such page or record.
    NotFound(Lang),
    /// A log-in through the identity provider failed or was refused.
    Provider {
        /// Language of the answer.
        lang: Lang,
        /// The provider's name.
        provider: String,
        /// What went wrong.
        why: ProviderProblem,
    },
    /// The node failed.
    Node(NodeError),
}

impl From<NodeError> for WebError {
    fn from(e: NodeError) -> Self {
        WebError::Node(e)
    }
}

impl WebError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::SignIn(_) => StatusCode::SEE_OTHER,
            WebError::Forbidden { .. } | WebError::Csrf(_) => StatusCode::FORBIDDEN,
            WebError::BadRequest(..) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Provider { why, .. } => match why {
                ProviderProblem::Unreachable(_) => StatusCode::BAD_GATEWAY,
                ProviderProblem::UnknownState | ProviderProblem::Refused(_) => {
                    StatusCode::BAD_REQUEST
                }
                ProviderProblem::Invalid(_) | ProviderProblem::NoRole => StatusCode::FORBIDDEN,
            },
            WebError::Node(NodeError::Locked(_)) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Node(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (lang, title, text) = match &self {
            WebError::SignIn(next) => {
                let q = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
                return see_other(&ctx::href(&format!("/login?{q}")));
            }
            WebError::Forbidden { lang, role } => (
                *lang,
                lang.pick("Nicht erlaubt", "Not allowed"),
                format!(
                    "{} {}: {}.",
                    lang.pick("Ihre Rolle", "Your role"),
                    role.label(*lang),
                    role.explain(*lang)
                ),
            ),
            WebError::Csrf(lang) => (
                *lang,
                lang.pick("Formular abgelaufen", "Form expired"),
                lang.pick(
                    "Das Formular trug kein gültiges Sicherheitsmerkmal (CSRF-Token). Nichts wurde \
                     geändert. Bitte die Seite neu laden und noch einmal absenden.",
                    "The form did not carry a valid security token (CSRF token). Nothing was \
                     changed. Please reload the page and send it again.",
                )
                .to_string(),
            ),
            WebError::BadRequest(lang, why) => (
                *lang,
                lang.pick("Anfrage nicht lesbar", "Request not readable"),
                why.clone(),
            ),
            WebError::NotFound(lang) => (
                *lang,
                lang.pick("Nicht gefunden", "Not found"),
                lang.pick(
                    "Diese Seite gibt es nicht.",
                    "This page does not exist.",
                )
                .to_string(),
            ),
            WebError::Provider {
                lang,
                provider,
                why,
            } => (
                *lang,
                lang.pick("Anmeldung nicht möglich", "Log-in not possible"),
                provider_text(*lang, provider, why),
            ),
            WebError::Node(e) => {
                if status.is_server_error() {
                    tracing::error!(error = %e, "workplace request failed");
                }
                (
                    Lang::De,
                    "Fehler / Error",
                    format!("{} / {}", e.localised(Lang::De), e.localised(Lang::En)),
                )
            }
        };
        let body = layout::bare(
            lang,
            title,
            html! {
                p { (text) }
                @if matches!(self, WebError::Provider { .. }) {
                    p { a href=(ctx::with_lang("/login", lang)) { (lang.pick("Zur Anmeldung", "To the log-in page")) } }
                }
                p { a href=(ctx::with_lang("/", lang)) { (lang.pick("Zur Startseite", "To the start page")) } }
            },
        );
        (status, body).into_response()
    }
}

/// What a person reads when the log-in through the identity provider `provider` failed.
fn provider_text(lang: Lang, provider: &str, why: &ProviderProblem) -> String {
    match why {
        ProviderProblem::Unreachable(_) => format!(
            "{} {provider} {}",
            lang.pick(
                "Der Identitätsanbieter",
                "The identity provider"
            ),
            lang.pick(
                "ist nicht erreichbar oder antwortete unbrauchbar. Bitte später erneut versuchen \
                 oder ein lokales Konto verwenden; die IT findet den Grund im Protokoll des Knotens.",
                "cannot be reached or answered with something unusable. Please try again later \
                 or use a local account; IT finds the reason in the node's log."
            )
        ),
        ProviderProblem::UnknownState => lang
            .pick(
                "Diese Anmeldung ist abgelaufen, wurde schon verwendet oder in einem anderen \
                 Browser begonnen. Bitte die Anmeldung neu beginnen.",
                "This log-in has expired, was used already or was begun in another browser. \
                 Please start the log-in again.",
            )
            .to_string(),
        ProviderProblem::Refused(_) => format!(
            "{provider} {}",
            lang.pick(
                "hat die Anmeldung nicht bestätigt (abgebrochen oder abgelehnt).",
                "did not confirm the log-in (cancelled or refused)."
            )
        ),
        ProviderProblem::Invalid(_) => format!(
            "{} {provider} {}",
            lang.pick("Die Bestätigung von", "The confirmation of"),
            lang.pick(
                "ließ sich nicht prüfen (Signatur, Aussteller, Empfänger, Nonce oder Gültigkeit). \
                 Nichts wurde angemeldet.",
                "could not be verified (signature, issuer, audience, nonce or expiry). Nobody \
                 was logged in."
            )
        ),
        ProviderProblem::NoRole => lang
            .pick(
                "Ihr Konto beim Identitätsanbieter hat keine Rolle für diese Verwaltung. Bitte \
                 wenden Sie sich an die Person, die bei Ihnen die Zugänge verwaltet.",
                "Your account at the identity provider has no role for this administration. \
                 Please ask the person who manages access in your administration.",
            )
            .to_string(),
    }
}

/// Answer of paths that do not exist.
pub async fn not_found(uri: Uri, headers: axum::http::HeaderMap) -> WebError {
    WebError::NotFound(ctx::lang_of(&headers, &uri))
}
