//! The validity of the served certificate: read from the leaf at every (re)load with
//! `x509-parser`, warned about when it has expired or is not yet valid (clients refuse such a
//! certificate, so no node can submit), shown by `status` and exposed as metrics
//! (`sovbench_tls_certificate_expiry_seconds`, `sovbench_tls_certificate_expired`).

use std::path::{Path, PathBuf};

use serde::Serialize;
use sovbench_core::i18n::Lang;
use sovbench_core::time::format_utc;

/// Where a certificate stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Within its validity.
    Valid,
    /// Its `notAfter` has passed.
    Expired,
    /// Its `notBefore` has not come yet.
    NotYetValid,
}

/// The validity of the served leaf certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertValidity {
    /// The certificate file (`--tls-cert`).
    pub file: PathBuf,
    /// SHA-256 of the leaf (DER), hex.
    pub sha256: String,
    /// `notBefore`, Unix seconds.
    pub not_before: i64,
    /// `notAfter`, Unix seconds.
    pub not_after: i64,
}

impl CertValidity {
    /// The validity of the leaf `der` loaded from `file`; `None` if it does not parse as X.509
    /// (rustls accepted it, so this does not happen with a usable certificate).
    pub fn of(file: &Path, der: &[u8]) -> Option<CertValidity> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let v = cert.validity();
        Some(CertValidity {
            file: file.to_path_buf(),
            sha256: super::cert_fingerprint(der),
            not_before: v.not_before.timestamp(),
            not_after: v.not_after.timestamp(),
        })
    }

    /// Where it stands at `now` (Unix seconds).
    pub fn standing(&self, now: i64) -> Standing {
        if now > self.not_after {
            Standing::Expired
        } else if now < self.not_before {
            Standing::NotYetValid
        } else {
            Standing::Valid
        }
    }

    /// Seconds from `now` until it expires (negative once expired).
    pub fn seconds_left(&self, now: i64) -> i64 {
        self.not_after - now
    }

    /// One line for `status`, in `lang`.
    pub fn status_line(&self, now: i64, lang: Lang) -> String {
        let file = self.file.display();
        match (self.standing(now), lang) {
            (Standing::Valid, Lang::De) => format!(
                "TLS-Zertifikat {file}: gültig bis {} (noch {} Tage)",
                format_utc(self.not_after),
                self.seconds_left(now) / 86_400
            ),
            (Standing::Valid, Lang::En) => format!(
                "TLS certificate {file}: valid until {} ({} days left)",
                format_utc(self.not_after),
                self.seconds_left(now) / 86_400
            ),
            (Standing::Expired, Lang::De) => format!(
                "TLS-Zertifikat {file}: ABGELAUFEN am {}; Knoten und Treuhänder lehnen die \
                 Verbindung ab: die Datei ersetzen (sie wird ohne Neustart geladen)",
                format_utc(self.not_after)
            ),
            (Standing::Expired, Lang::En) => format!(
                "TLS certificate {file}: EXPIRED at {}; nodes and trustees refuse the \
                 connection: replace the file (it is loaded without a restart)",
                format_utc(self.not_after)
            ),
            (Standing::NotYetValid, Lang::De) => format!(
                "TLS-Zertifikat {file}: NOCH NICHT GÜLTIG, erst ab {}; Knoten und Treuhänder \
                 lehnen die Verbindung bis dahin ab (geht die Uhr richtig?)",
                format_utc(self.not_before)
            ),
            (Standing::NotYetValid, Lang::En) => format!(
                "TLS certificate {file}: NOT YET VALID, only from {}; nodes and trustees refuse \
                 the connection until then (is the clock right?)",
                format_utc(self.not_before)
            ),
        }
    }

    /// Logs a warning (German and English) unless it is valid at `now`.
    pub fn warn_unless_valid(&self, now: i64) {
        let standing = self.standing(now);
        if standing == Standing::Valid {
            return;
        }
        tracing::warn!(
            cert = %self.file.display(),
            sha256 = %self.sha256,
            not_before = %format_utc(self.not_before),
            not_after = %format_utc(self.not_after),
            de = %self.status_line(now, Lang::De),
            "{}",
            self.status_line(now, Lang::En)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v() -> CertValidity {
        CertValidity {
            file: "/etc/sovbench/tls/server.pem".into(),
            sha256: "ab".into(),
            not_before: 1_000_000,
            not_after: 2_000_000,
        }
    }

    #[test]
    fn standing_and_lines_in_both_languages() {
        let v = v();
        assert_eq!(v.standing(999_999), Standing::NotYetValid);
        assert_eq!(v.standing(1_500_000), Standing::Valid);
        assert_eq!(v.standing(2_000_000), Standing::Valid);
        assert_eq!(v.standing(2_000_001), Standing::Expired);
        assert_eq!(v.seconds_left(2_086_400), -86_400);
        let en = v.status_line(2_086_400, Lang::En);
        assert!(
            en.contains("EXPIRED at 1970-01-24") && en.contains("server.pem"),
            "{en}"
        );
        let de = v.status_line(2_086_400, Lang::De);
        assert!(de.contains("ABGELAUFEN am 1970-01-24"), "{de}");
        assert!(v.status_line(0, Lang::En).contains("NOT YET VALID"));
        assert!(v
            .status_line(2_000_000 - 3 * 86_400, Lang::De)
            .contains("noch 3 Tage"));
        assert!(CertValidity::of(Path::new("x"), b"not der").is_none());
    }
}
