//! The parts of the privacy report about mode secure: the pinned committee and the policy's
//! committee limits, each secure release (what left the node: ciphertexts with range proofs,
//! listed by the hash of their bytes), and what such a release discloses.

use std::fmt::Write as _;

use sovbench_core::catalogue::Catalogue;
use sovbench_core::i18n::Lang;

use crate::config::NodeConfig;
use crate::model::SecureRecord;

/// Policy lines: the pinned committee and the smallest m and t accepted.
pub(super) fn policy(o: &mut String, config: &NodeConfig, lang: Lang) {
    let l = |de: &'static str, en: &'static str| lang.pick(de, en);
    let pinned = match &config.committee_fingerprint {
        Some(fp) => format!("`{fp}`"),
        None => l(
            "keines (committee_fingerprint nicht gesetzt: Runden im Modus sicher werden abgelehnt)",
            "none (committee_fingerprint not set: rounds in mode secure are refused)",
        )
        .to_string(),
    };
    let _ = writeln!(
        o,
        "- {}: {pinned}\n- {} m ≥ {} {} t ≥ {} {} (privacy.min_trustees, privacy.min_threshold)\n",
        l(
            "Modus sicher: gepinntes Treuhändergremium (SHA-256 des Gremiumsdokuments)",
            "Mode secure: pinned trustee committee (SHA-256 of the committee document)"
        ),
        l(
            "Modus sicher: nur Gremien aus",
            "Mode secure: only committees of"
        ),
        config.privacy.min_trustees,
        l("Treuhändern, von denen", "trustees of whom"),
        config.privacy.min_threshold,
        l("zum Entschlüsseln nötig sind", "are needed to decrypt"),
    );
}

/// One secure release: the committee, epsilon and per metric the hash of what was sent.
pub(super) fn release(o: &mut String, s: &SecureRecord, epsilon: f64, lang: Lang) {
    let l = |de: &'static str, en: &'static str| lang.pick(de, en);
    let _ = writeln!(
        o,
        "{} {} {}: `{}` ({} {} {}; {} `{}`). {} ε = {epsilon:.3} {}.",
        l("Modus sicher:", "Mode secure:"),
        l(
            "Die wahren Werte haben den Knoten nur verschlüsselt verlassen, als Geheimtexte mit Bereichsbeweisen unter dem Schlüssel des Treuhändergremiums",
            "the true values left the node only encrypted, as ciphertexts with range proofs under the key of the trustee committee"
        ),
        l("mit dem Fingerabdruck", "with the fingerprint"),
        s.committee_fingerprint,
        s.threshold,
        l("von", "of"),
        s.trustees,
        l("Veröffentlichungsraster", "publication grid"),
        s.grid,
        l("Angerechnet:", "Charged:"),
        l("für die gesamte Übermittlung", "for the whole submission")
    );
    if let (Some(pos), Some(head)) = (s.bulletin_position, &s.bulletin_head) {
        let _ = writeln!(
            o,
            "{} {pos}, {}: `{head}`.",
            l(
                "Eintrag im Bulletin des Aggregators: Position",
                "Entry in the aggregator's bulletin: position"
            ),
            l("Kettenhash danach", "chain hash after it")
        );
    }
    let _ = writeln!(
        o,
        "\n| {} | {} | {} |\n|---|---|---|",
        l("Kennzahl", "Metric"),
        l("gesendet", "sent"),
        l(
            "SHA-256 des verschlüsselten Werts",
            "SHA-256 of the encrypted value"
        )
    );
    let cat = Catalogue::shared();
    for e in &s.encrypted {
        let _ = writeln!(
            o,
            "| {} (`{}`) | {} | `{}` |",
            cat.label(&e.metric, lang),
            e.metric,
            l(
                "Geheimtext mit Bereichsbeweis (kein Klartext)",
                "ciphertext with range proof (no plaintext)"
            ),
            e.sha256
        );
    }
    let _ = writeln!(o);
}

/// What a release in mode secure discloses, in plain language.
pub(super) fn guarantee(o: &mut String, lang: Lang) {
    let _ = writeln!(
        o,
        "**{}**: {}\n",
        lang.pick("Modus sicher", "Mode secure"),
        lang.pick(
            "Der Knoten verschlüsselt seine wahren Werte an den Schlüssel des Treuhändergremiums (m Treuhänder, z. B. Landesrechenzentren, eine Datenschutzaufsicht, eine Hochschule). \
Ein Bereichsbeweis belegt, dass jeder Wert im zulässigen Bereich liegt, ohne ihn zu verraten. Den Schlüssel hält niemand ganz: Entschlüsseln können nur t der m Treuhänder gemeinsam, \
und sie entschlüsseln nur Summen ganzer Kohorten (mindestens k Verwaltungen), zu denen jeder Treuhänder zuvor sein eigenes Rauschen addiert hat – nie einen einzelnen Wert. \
Der Aggregator sieht nur Geheimtexte und die veröffentlichten verrauschten Kohortenwerte. Die Runde kostet das in ihr genannte ε einmal für die gesamte Übermittlung. \
Nur wenn t Treuhänder zusammenwirken, um die Regeln zu brechen, könnten sie einzelne Werte entschlüsseln; deshalb pinnt der Knoten das Gremium und verlangt eine Mindestgröße (siehe Richtlinie oben). \
Die verwendete Kryptobibliothek (elastic-elgamal) ist nach Angabe ihrer Autoren nicht unabhängig geprüft.",
            "The node encrypts its true values to the key of the trustee committee (m trustees, e.g. state data centres, a data protection authority, a university). \
A range proof shows that each value lies in its range without revealing it. Nobody holds the whole key: only t of the m trustees together can decrypt, \
and they decrypt only sums of whole cohorts (at least k administrations) to which each trustee has first added its own noise – never a single value. \
The aggregator sees only ciphertexts and the published noisy cohort values. The round costs the ε it names once, for the whole submission. \
Only t trustees colluding to break the rules could decrypt single values; this is why the node pins the committee and requires a minimum size (see the policy above). \
The cryptographic library used (elastic-elgamal) has, as its authors state, not been independently audited."
        )
    );
}
