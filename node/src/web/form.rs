//! Reading forms: url-encoded bodies into [`Fields`], and multipart uploads (one file and the
//! form's fields). Every form is read whole, so that a missing field is the page's own error
//! (shown next to the field), never a bare rejection; sizes are bounded by
//! [`crate::web::MAX_BODY`].

use axum::body::Bytes;
use axum::extract::Multipart;
use sovbench_core::i18n::Lang;

use crate::web::error::WebError;

/// Largest uploaded file.
pub const MAX_UPLOAD: usize = 2 * 1024 * 1024;

/// The fields of a submitted form, in order.
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Parses a url-encoded body.
    pub fn parse(body: &Bytes, lang: Lang) -> Result<Fields, WebError> {
        serde_urlencoded::from_bytes(body).map(Fields).map_err(|e| {
            WebError::BadRequest(
                lang,
                format!(
                    "{}: {e}",
                    lang.pick("Formular nicht lesbar", "form not readable")
                ),
            )
        })
    }

    /// The first value of `name`, trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    }

    /// The first value of `name`, or "".
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Every field as (name, value), in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The CSRF token.
    pub fn csrf(&self) -> Option<&str> {
        self.get("csrf")
    }

    /// Adds a field (multipart forms).
    pub fn push(&mut self, name: String, value: String) {
        self.0.push((name, value));
    }
}

/// An uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The file name the browser sent (only its last part).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Reads a multipart form: its text fields and the first file (if any was chosen).
pub async fn multipart(
    mut mp: Multipart,
    lang: Lang,
) -> Result<(Fields, Option<Upload>), WebError> {
    let bad = |e: String| {
        WebError::BadRequest(
            lang,
            format!(
                "{}: {e}",
                lang.pick("Upload nicht lesbar", "upload not readable")
            ),
        )
    };
    let mut fields = Fields::default();
    let mut upload = None;
    while let Some(field) = mp.next_field().await.map_err(|e| bad(e.to_string()))? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file) => {
                let bytes = field.bytes().await.map_err(|e| bad(e.to_string()))?;
                if bytes.len() > MAX_UPLOAD {
                    return Err(bad(format!(
                        "{} {} MiB",
                        lang.pick("Datei größer als", "file larger than"),
                        MAX_UPLOAD / 1024 / 1024
                    )));
                }
                if upload.is_none() && !file.is_empty() && !bytes.is_empty() {
                    let base = file.rsplit(['/', '\\']).next().unwrap_or_default();
                    upload = Some(Upload {
                        name: base.to_string(),
                        bytes: bytes.to_vec(),
                    });
                }
            }
            None => {
                let text = field.text().await.map_err(|e| bad(e.to_string()))?;
                fields.push(name, text);
            }
        }
    }
    Ok((fields, upload))
}
