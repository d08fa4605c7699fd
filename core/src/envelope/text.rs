//! Signature and key-file errors in German and English (the English text is the `Display`).

use super::EnvelopeError;
use crate::i18n::Lang;

impl EnvelopeError {
    /// The error in `lang`, with the same information in both languages.
    pub fn localised(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::De => german(self),
        }
    }
}

fn german(e: &EnvelopeError) -> String {
    match e {
        EnvelopeError::BadSignature(key) => {
            format!("Signatur prüft nicht für den Unterzeichner {key}")
        }
        EnvelopeError::BadSignerLength(len) => format!(
            "der Unterzeichner muss ein roher 32 Bytes langer Ed25519-Schlüssel sein, erhalten: \
             {len} Bytes"
        ),
        EnvelopeError::WeakKey { key, reason } => {
            format!("öffentlicher Schlüssel {key} ist kein gültiger Ed25519-Schlüssel: {reason}")
        }
        EnvelopeError::Decode(e) => {
            format!("der Inhalt ist keine gültige sovbench-Nachricht: {e}")
        }
        EnvelopeError::Version(got, ours) => {
            format!("der Inhalt hat Protokollversion {got}, dieses Programm spricht Version {ours}")
        }
        EnvelopeError::WrongKind { expected, got } => {
            format!("erwartet war eine Nachricht der Art {expected}, erhalten: {got}")
        }
        EnvelopeError::KeyFile { path, source } => format!("Schlüsseldatei {path}: {source}"),
        EnvelopeError::KeyExists(path) => format!(
            "Schlüsseldatei {path} gibt es bereits; eine Identität wird nicht überschrieben"
        ),
        EnvelopeError::KeyInvalid(path) => {
            format!("Schlüsseldatei {path} enthält keinen gültigen Ed25519-Schlüssel")
        }
        EnvelopeError::Random => {
            "der Zufallszahlengenerator des Systems ist ausgefallen".to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_german_text_with_its_information() {
        let errors = [
            EnvelopeError::BadSignature("ab12".into()),
            EnvelopeError::BadSignerLength(31),
            EnvelopeError::KeyExists("/srv/k.key".into()),
            EnvelopeError::KeyInvalid("/srv/k.key".into()),
            EnvelopeError::Random,
        ];
        for e in &errors {
            let (de, en) = (e.localised(Lang::De), e.localised(Lang::En));
            assert_eq!(en, e.to_string());
            assert_ne!(de, en, "{e:?}");
        }
        assert!(errors[0].localised(Lang::De).contains("ab12"));
        assert!(errors[1].localised(Lang::De).contains("31"));
        assert!(errors[2].localised(Lang::De).contains("/srv/k.key"));
    }
}
