//! The German texts of [`NodeError`]: one arm per variant, no wildcard, so that a new variant
//! cannot be added without its German text. Each keeps the information of the English message
//! (paths, the `node.toml` setting or command to fix, round ids, values); messages of other
//! crates (envelope, self-test, cohort, storage, I/O) keep their own text inside the sentence.

use sovbench_core::i18n::Lang;

use super::{policy_setting, tls, NodeError};

/// The German name of a policy limit of [`NodeError::Policy`].
fn parameter_de(parameter: &str) -> &str {
    match parameter {
        "minimum cohort size k" => "die Mindestgröße der Kohorte k",
        "epsilon per round" => "Epsilon je Runde",
        "epsilon in the last 365 days" => "Epsilon in den letzten 365 Tagen",
        "epsilon over the node's lifetime" => "Epsilon über die Lebensdauer des Knotens",
        "committee size m" => "die Größe des Treuhändergremiums m",
        "threshold t" => "die Schwelle t",
        other => other,
    }
}

/// `e` in German.
pub(super) fn german(e: &NodeError) -> String {
    match e {
        NodeError::NotInitialised(dir) => {
            format!("kein Knoten in {dir}; zuerst `sovbench-node init` ausführen")
        }
        NodeError::AlreadyInitialised(dir) => format!(
            "in {dir} ist bereits ein Knoten eingerichtet; seine Identität wird nicht \
             überschrieben"
        ),
        NodeError::Locked(path) => format!(
            "der Speicher {path} wird von einem anderen sovbench-node-Prozess benutzt: ein \
             laufendes `sovbench-node serve` hält ihn je Durchlauf nur kurz, es ist also ein \
             anderer Befehl oder ein Daemon einer älteren Version; erneut versuchen oder diesen \
             Prozess beenden"
        ),
        NodeError::Storage(reason) => format!("Speicher: {reason}"),
        NodeError::People(e) => e.text(Lang::De),
        NodeError::Json(err) => format!("gespeicherter Datensatz nicht lesbar: {err}"),
        NodeError::Decode(err) => format!("Nachricht nicht dekodierbar: {err}"),
        NodeError::Envelope(err) => err.localised(Lang::De),
        NodeError::Assessment(err) => format!("Selbsttest ungültig: {err}"),
        NodeError::Cohort(err) => format!("Profilangabe ungültig: {err}"),
        NodeError::Config(reason) => format!("Konfiguration: {reason}"),
        NodeError::Tls(problem) => problem.message(Lang::De, &super::tls::NODE),
        NodeError::Io { path, source } => {
            format!("{path}: Lesen oder Schreiben fehlgeschlagen: {source}")
        }
        NodeError::NoAssessment => {
            "noch kein Selbsttest gespeichert; zuerst `sovbench-node assess` ausführen".into()
        }
        NodeError::NoInventory => "noch kein Inventar der Systeme gespeichert; Systeme mit \
             `sovbench-node inventory add` oder `inventory import` erfassen"
            .into(),
        NodeError::Policy {
            round,
            parameter,
            value,
            limit,
        } => format!(
            "Runde {round} von der Datenschutzrichtlinie abgelehnt: {} ist {value}, die \
             Richtlinie erlaubt {limit} (festgelegt durch {} in node.toml)",
            parameter_de(parameter),
            policy_setting(parameter)
        ),
        NodeError::BadRound { round, reason } => {
            format!("Runde {round} ist nicht annehmbar: {reason}")
        }
        NodeError::CommitteeNotPinned {
            round,
            fingerprint,
            threshold,
            size,
        } => format!(
            "Runde {round} verschlüsselt an das Treuhändergremium {fingerprint} ({threshold} von \
             {size}), aber node.toml legt kein Gremium fest: diesen Fingerabdruck auf anderem \
             Weg mit dem Konsortium abgleichen (nicht über den Aggregator), dann \
             committee_fingerprint = \"{fingerprint}\" in node.toml setzen (oder \
             `sovbench-node config committee {fingerprint}` ausführen)"
        ),
        NodeError::WrongCommittee {
            round,
            expected,
            got,
        } => format!(
            "Runde {round} verschlüsselt an das Treuhändergremium {got}, aber \
             committee_fingerprint in node.toml ist {expected}: an ein anderes Gremium wird \
             nichts verschlüsselt; das Konsortium auf anderem Weg fragen, welches Gremium richtig \
             ist, und committee_fingerprint in node.toml nur ändern, wenn es {got} bestätigt"
        ),
        NodeError::Secure(err) => format!("Verschlüsselung (Modus secure): {err}"),
        NodeError::AlreadyReleased(round) => format!(
            "die Werte für Runde {round} sind bereits freigegeben; siehe `sovbench-node status`"
        ),
        NodeError::NotEnrolled {
            fingerprint,
            revoked,
        } => format!(
            "der Aggregator hat den Schlüssel dieses Knotens (Fingerabdruck {fingerprint}) {}; \
             nichts wurde freigegeben und kein Datenschutzbudget verbraucht: den öffentlichen \
             Schlüssel und den Fingerabdruck aus `sovbench-node status` dem Betreiber des \
             Aggregators zur Aufnahme (`sovbench-aggregator enrol`) geben und aggregator_url in \
             node.toml prüfen",
            if *revoked {
                "widerrufen"
            } else {
                "nicht aufgenommen"
            }
        ),
        NodeError::NoOpenRound => "der Aggregator hat keine offene Runde".into(),
        NodeError::WrongAggregatorKey { expected, got } => format!(
            "der Aggregator antwortete mit dem Schlüssel {got}, aber aggregator_key in node.toml \
             ist {expected}: aggregator_key in node.toml prüfen (`sovbench-aggregator key` beim \
             Betreiber gibt den richtigen aus) und aggregator_url"
        ),
        NodeError::Unreachable { url, reason } => tls::handshake_hint(url, reason, Lang::De)
            .unwrap_or_else(|| format!("Aggregator {url} nicht erreichbar: {reason}")),
        NodeError::Refused { code, message } => {
            format!("der Aggregator hat abgelehnt: {code:?}: {message}")
        }
        NodeError::BadAnswer(reason) => {
            format!("Antwort des Aggregators zurückgewiesen: {reason}")
        }
        NodeError::NotInPublication { round, signature } => format!(
            "die Veröffentlichung der Runde {round} zählt die Einreichung dieses Knotens nicht \
             mit, obwohl der Aggregator sie bestätigt hat (Signatur-Hash {signature}); die \
             Quittung aufbewahren und dies dem Betreiber des Aggregators melden"
        ),
        NodeError::StalePublication { got, newer } => format!(
            "der Aggregator bietet die Veröffentlichung der Runde {got} als neueste an, aber \
             {newer}; mit `compare --round {got}` lässt sie sich trotzdem ansehen"
        ),
        NodeError::Peers(reason) => format!("Peer-Abgleich: {reason}"),
        NodeError::Privacy { metric, reason } => {
            format!("Verrauschung (Datenschutz) der Kennzahl {metric} fehlgeschlagen: {reason}")
        }
    }
}
