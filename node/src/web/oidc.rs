//! Log-in through the identity provider (OpenID Connect, section `[oidc]` of `node.toml`):
//! the authorization code flow with PKCE, `state` and `nonce`.
//!
//! 1. `GET /oidc/login?next=/page` keeps a [`Pending`] log-in (state → PKCE verifier, nonce,
//!    next page) in memory for [`PENDING_SECS`], sets a short-lived cookie with the state
//!    (`SameSite=Lax`: the provider's redirect back is a cross-site top-level navigation, which
//!    carries no `SameSite=Strict` cookie) and redirects to the provider.
//! 2. `GET /oidc/callback?code=…&state=…` takes the pending log-in of `state` (once; it must be
//!    the state of the browser's cookie), exchanges the code with the verifier, verifies the ID
//!    token (signature with the provider's keys, issuer, audience, nonce, expiry), maps the
//!    person's groups to a role ([`crate::people::idp::roles_of`]), starts a session and
//!    redirects to the page. No group that maps: refused (403) and logged.
//!
//! The provider's discovery document and keys are fetched at the first log-in and kept for
//! [`DISCOVERY_SECS`]; the HTTP client follows no redirects (a redirect could send the node to an
//! address of the provider's choosing).

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::Response;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse as _,
};
use serde::{Deserialize, Serialize};
use sovbench_core::i18n::Lang;

use crate::config::OidcConfig;
use crate::error::NodeError;
use crate::people::{self, idp};
use crate::web::ctx::{self, cookie, lang_of, query_param, see_other};
use crate::web::error::WebError;
use crate::web::site::Site;

/// A pending log-in is forgotten this long after it began.
pub const PENDING_SECS: i64 = 10 * 60;
/// At most this many log-ins are pending at once; beyond, the oldest is forgotten.
pub const MAX_PENDING: usize = 1000;
/// The provider's discovery document and keys are fetched again after this long.
pub const DISCOVERY_SECS: u64 = 15 * 60;
/// The cookie of the pending log-in's state.
const STATE_COOKIE: &str = "sovbench_oidc";
/// Longest person name taken from the provider's claims.
const MAX_PERSON_CHARS: usize = 128;
/// How long a request to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// The claims of the ID token besides the standard ones (the groups, a tenant claim).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OtherClaims(pub serde_json::Map<String, serde_json::Value>);

impl AdditionalClaims for OtherClaims {}

type TokenFields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

type ProviderClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    StandardTokenResponse<TokenFields, CoreTokenType>,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why a log-in through the identity provider did not succeed; [`WebError::Provider`] turns it
/// into a page.
#[derive(Debug)]
pub enum ProviderProblem {
    /// The provider could not be reached or answered with something unusable.
    Unreachable(String),
    /// No pending log-in for this answer: expired, used already, begun in another browser, or
    /// forged.
    UnknownState,
    /// The provider refused or the person cancelled (`error=` in the answer).
    Refused(String),
    /// The ID token did not verify.
    Invalid(String),
    /// None of the person's groups maps to a role on this node.
    NoRole,
}

/// A log-in begun and not yet finished.
struct Pending {
    verifier: PkceCodeVerifier,
    nonce: Nonce,
    next: String,
    lang: Lang,
    created: i64,
}

/// The workplace's client of the identity provider.
pub struct Oidc {
    cfg: OidcConfig,
    secret: ClientSecret,
    http: openidconnect::reqwest::Client,
    discovered: tokio::sync::Mutex<Option<(CoreProviderMetadata, Instant)>>,
    pending: StdMutex<HashMap<String, Pending>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl Oidc {
    /// The client for `cfg` with the client secret `secret`.
    pub fn new(cfg: OidcConfig, secret: String) -> Result<Oidc, NodeError> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| NodeError::Config(format!("oidc: HTTP client: {e}")))?;
        Ok(Oidc {
            cfg,
            secret: ClientSecret::new(secret),
            http,
            discovered: tokio::sync::Mutex::new(None),
            pending: StdMutex::new(HashMap::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &OidcConfig {
        &self.cfg
    }

    /// The provider's name for the log-in button.
    pub fn display_name(&self) -> String {
        self.cfg.display_name()
    }

    async fn client(&self) -> Result<ProviderClient, ProviderProblem> {
        let mut d = self.discovered.lock().await;
        let fresh = d
            .as_ref()
            .is_some_and(|(_, at)| at.elapsed() < Duration::from_secs(DISCOVERY_SECS));
        if !fresh {
            let issuer = IssuerUrl::new(self.cfg.issuer.trim().to_string())
                .map_err(|e| ProviderProblem::Unreachable(format!("issuer: {e}")))?;
            let meta = CoreProviderMetadata::discover_async(issuer, &self.http)
                .await
                .map_err(|e| ProviderProblem::Unreachable(chain(&e)))?;
            *d = Some((meta, Instant::now()));
        }
        let Some((meta, _)) = d.as_ref() else {
            return Err(ProviderProblem::Unreachable("no discovery document".into()));
        };
        let redirect = RedirectUrl::new(self.cfg.redirect_url.trim().to_string())
            .map_err(|e| ProviderProblem::Unreachable(format!("redirect_url: {e}")))?;
        Ok(ProviderClient::from_provider_metadata(
            meta.clone(),
            ClientId::new(self.cfg.client_id.clone()),
            Some(self.secret.clone()),
        )
        .set_redirect_uri(redirect))
    }

    /// Keeps a pending log-in, forgetting expired ones and, beyond [`MAX_PENDING`], the oldest.
    fn remember(&self, state: String, p: Pending) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        let now = p.created;
        pending.retain(|_, q| now - q.created < PENDING_SECS);
        while pending.len() >= MAX_PENDING {
            let oldest = pending
                .iter()
                .min_by_key(|(_, q)| q.created)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => pending.remove(&k),
                None => break,
            };
        }
        pending.insert(state, p);
    }

    /// Takes the pending log-in of `state`, if it is there and not expired at `now`.
    fn take(&self, state: &str, now: i64) -> Option<Pending> {
        let mut pending = self.pending.lock().ok()?;
        pending
            .remove(state)
            .filter(|p| now - p.created < PENDING_SECS)
    }

    /// How many log-ins are pending (for tests).
    pub fn pending_count(&self) -> usize {
        self.pending.lock().map(|p| p.len()).unwrap_or_default()
    }
}

/// An error and its causes in one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let t = c.to_string();
        if !text.contains(&t) {
            text.push_str(": ");
            text.push_str(&t);
        }
        cause = c.source();
    }
    text
}

fn oidc_of(site: &Site, lang: Lang) -> Result<&Oidc, WebError> {
    site.oidc().ok_or(WebError::NotFound(lang))
}

/// `GET /oidc/login`: to the identity provider.
pub async fn login(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let lang = lang_of(&headers, &uri);
    let oidc = oidc_of(&site, lang)?;
    let next = crate::web::pages::login::safe_next(query_param(&uri, "next"));
    let client = oidc
        .client()
        .await
        .map_err(|why| provider_failed(lang, oidc, why))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for s in &oidc.cfg.scopes {
        request = request.add_scope(Scope::new(s.clone()));
    }
    let (url, state, nonce) = request.url();
    oidc.remember(
        state.secret().clone(),
        Pending {
            verifier,
            nonce,
            next,
            lang,
            created: site.now(),
        },
    );
    let mut res = Response::new(axum::body::Body::empty());
    *res.status_mut() = axum::http::StatusCode::SEE_OTHER;
    let location = HeaderValue::from_str(url.as_str())
        .map_err(|e| provider_failed(lang, oidc, ProviderProblem::Unreachable(e.to_string())))?;
    res.headers_mut().insert(header::LOCATION, location);
    let c = format!(
        "{STATE_COOKIE}={}; Path={}; HttpOnly; SameSite=Lax; Max-Age={PENDING_SECS}{}",
        state.secret(),
        ctx::href("/oidc"),
        secure(&site)
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

fn secure(site: &Site) -> &'static str {
    if site.secure_cookies() {
        "; Secure"
    } else {
        ""
    }
}

/// Logs a failed log-in and makes it a page.
fn provider_failed(lang: Lang, oidc: &Oidc, why: ProviderProblem) -> WebError {
    tracing::warn!(issuer = %oidc.cfg.issuer, problem = ?why, "log-in through the identity provider failed");
    WebError::Provider {
        lang,
        provider: oidc.display_name(),
        why,
    }
}

/// `GET /oidc/callback`: the provider's answer.
pub async fn callback(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let lang = lang_of(&headers, &uri);
    let oidc = oidc_of(&site, lang)?;
    let state = query_param(&uri, "state").unwrap_or_default();
    // The state must be this browser's (its cookie) and a pending log-in's: an answer begun
    // in another browser, or a forged one, starts no session here.
    let mine = cookie(&headers, STATE_COOKIE)
        .is_some_and(|c| !state.is_empty() && people::same_secret(&c, &state));
    let pending = if mine {
        oidc.take(&state, site.now())
    } else {
        None
    };
    let Some(pending) = pending else {
        return Err(provider_failed(lang, oidc, ProviderProblem::UnknownState));
    };
    let lang = pending.lang;
    if let Some(e) = query_param(&uri, "error") {
        let d = query_param(&uri, "error_description").unwrap_or_default();
        return Err(provider_failed(
            lang,
            oidc,
            ProviderProblem::Refused(format!("{e} {d}").trim().to_string()),
        ));
    }
    let Some(code) = query_param(&uri, "code") else {
        return Err(provider_failed(
            lang,
            oidc,
            ProviderProblem::Refused("no code".into()),
        ));
    };
    let fail = |why| provider_failed(lang, oidc, why);
    let client = oidc.client().await.map_err(fail)?;
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| fail(ProviderProblem::Unreachable(chain(&e))))?
        .set_pkce_verifier(pending.verifier)
        .request_async(&oidc.http)
        .await
        .map_err(|e| fail(ProviderProblem::Unreachable(chain(&e))))?;
    let id_token = token
        .id_token()
        .ok_or_else(|| fail(ProviderProblem::Invalid("no ID token".into())))?;
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &pending.nonce)
        .map_err(|e| fail(ProviderProblem::Invalid(chain(&e))))?;
    let person = person_of(claims);
    let others = &claims.additional_claims().0;
    let issuer = oidc.cfg.issuer.trim().to_string();
    let node = site.node().await?;
    // On a hosted node with tenant groups (or a tenant claim) configured, the role is the one
    // on this administration (`/t/<id>/`); otherwise the groups of `[oidc.roles]` apply.
    let base = ctx::base();
    let tenant = base
        .strip_prefix("/t/")
        .filter(|_| oidc.cfg.tenant_group_prefix.is_some() || oidc.cfg.tenant_claim.is_some());
    let Some(role) = idp::roles_of(others, &oidc.cfg, tenant) else {
        let groups = idp::strings_of(others, &oidc.cfg.groups_claim);
        tracing::warn!(person = %person, %issuer, ?groups, "log-in refused: no group maps to a role");
        people::log(
            &node,
            &person,
            &format!(
                "Anmeldung über {issuer} abgelehnt: keine Gruppe mit Rolle / log-in through \
                 {issuer} refused: no group maps to a role"
            ),
        )?;
        return Err(fail(ProviderProblem::NoRole));
    };
    let (session, _) = people::start_external_session(&node, &person, role, &issuer)?;
    node.store().purge_sessions(site.now())?;
    let mut res = see_other(&ctx::with_lang(&pending.next, lang));
    let c = site.session_cookie(&session);
    let gone = format!(
        "{STATE_COOKIE}=; Path={}; HttpOnly; SameSite=Lax; Max-Age=0",
        ctx::href("/oidc")
    );
    for c in [c, gone] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

/// The person's name for the session and the log: the preferred user name, else the e-mail
/// address, else the subject; control characters dropped, at most [`MAX_PERSON_CHARS`].
fn person_of(claims: &openidconnect::IdTokenClaims<OtherClaims, CoreGenderClaim>) -> String {
    let name = claims
        .preferred_username()
        .map(|u| u.as_str().to_string())
        .or_else(|| claims.email().map(|e| e.as_str().to_string()))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| claims.subject().as_str().to_string());
    name.chars()
        .filter(|c| !c.is_control())
        .take(MAX_PERSON_CHARS)
        .collect()
}
