//! The aggregator's errors as the operator reads them, in German or English. The English text is
//! the `Display` of [`AggError`] (also the gRPC status message, unchanged); the German text keeps
//! every id, count, path and the setting or flag to fix. Every variant is named (no catch-all
//! arm), so that a new variant cannot go without a German text.

use sovbench_core::display::echo;
use sovbench_core::i18n::Lang;
use sovbench_core::peers::MAX_SEALED_CARD;
use sovbench_core::vocab::Stage;

use super::AggError;
use crate::store::logs::RecordProblem;

impl AggError {
    /// The error in `lang`: in English its `Display`, in German a text with the same
    /// information (ids, counts, files, the flag or setting to fix).
    pub fn localised(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::De => self.german(),
        }
    }

    /// The German text of every variant.
    fn german(&self) -> String {
        match self {
            AggError::NotInitialised(dir) => {
                format!("kein Aggregator in {dir}; zuerst `sovbench-aggregator init` ausführen")
            }
            AggError::AlreadyInitialised(dir) => format!(
                "in {dir} ist bereits ein Aggregator angelegt; sein Schlüssel wird nicht \
                 überschrieben"
            ),
            AggError::Locked(path) => format!(
                "der Speicher {path} wird von einem anderen Prozess benutzt (läuft \
                 `sovbench-aggregator serve`?)"
            ),
            AggError::Storage(detail) => format!("Speicher: {detail}"),
            AggError::Json(e) => format!("gespeicherter Datensatz: {e}"),
            AggError::Decode(e) => format!("Nachricht nicht dekodierbar: {e}"),
            AggError::Envelope(e) => e.localised(Lang::De),
            AggError::Cohort(e) => format!("ungültiges Kohortenmerkmal: {e}"),
            AggError::UnknownKey(key) => {
                format!("Schlüssel {key} ist in diesem Konsortium nicht aufgenommen")
            }
            AggError::Revoked(key) => format!("Schlüssel {key} wurde widerrufen (Widerruf)"),
            AggError::WrongKind { expected, got } => {
                format!("erwartet war eine Nachricht der Art {expected}, erhalten: {got}")
            }
            AggError::UnknownRound(round) => format!("Runde {} gibt es nicht", echo(round)),
            AggError::NoOpenRound => "keine Runde ist geöffnet".to_string(),
            AggError::RoundClosed { round, at } => {
                format!("Runde {} wurde am {at} geschlossen", echo(round))
            }
            AggError::RoundOpen(round) => format!(
                "Runde {} ist noch geöffnet; vor der Veröffentlichung schließen",
                echo(round)
            ),
            AggError::ParamsMismatch { round, detail } => format!(
                "die Einreichung passt nicht zu Runde {}: {detail}",
                echo(round)
            ),
            AggError::Conflict { key, round } => format!(
                "Schlüssel {key} hat in Runde {} bereits eine andere Einreichung abgegeben",
                echo(round)
            ),
            AggError::TooLarge(size, limit) => {
                format!("Nachricht mit {size} Bytes überschreitet die Grenze von {limit} Bytes")
            }
            AggError::Busy => {
                "der Aggregator ist ausgelastet; bitte gleich noch einmal versuchen".to_string()
            }
            AggError::ShuttingDown => "der Aggregator wird beendet".to_string(),
            AggError::EmptyConsortium => {
                "der Name des Konsortiums darf nicht leer sein".to_string()
            }
            AggError::BadPublicKey(len) => format!(
                "der öffentliche Schlüssel muss 32 Bytes lang sein (base64 des rohen \
                 Ed25519-Schlüssels), erhalten: {len}"
            ),
            AggError::WeakPublicKey(e) => {
                format!("Aufnahme abgelehnt: {}", e.localised(Lang::De))
            }
            AggError::BadRoundId(id) => format!(
                "Rundenkennung {:?}: erlaubt sind {}",
                echo(id),
                sovbench_core::ids::ID_RULE_DE
            ),
            AggError::RoundExists(round) => format!("Runde {} gibt es bereits", echo(round)),
            AggError::AnotherRoundOpen(round) => format!(
                "Runde {} ist noch geöffnet; zuerst schließen (es ist immer nur eine Runde \
                 geöffnet)",
                echo(round)
            ),
            AggError::UnknownMetric { metric, known } => {
                format!("unbekannte Kennzahl {}; bekannt: {known}", echo(metric))
            }
            AggError::DuplicateMetric(metric) => {
                format!("Kennzahl {} ist doppelt angegeben", echo(metric))
            }
            AggError::BadEpsilon(eps) => format!(
                "Epsilon je Veröffentlichung (Datenschutzbudget) muss eine positive Zahl sein, \
                 erhalten: {eps}"
            ),
            AggError::TooManyReleases { releases, metrics } => format!(
                "Veröffentlichungen je Knoten ({releases}) übersteigen die Zahl der Kennzahlen \
                 ({metrics})"
            ),
            AggError::MinCohortTooSmall(k) => {
                format!("die Mindestgröße k einer Kohorte muss mindestens 2 sein, angegeben: {k}")
            }
            AggError::ClosesInThePast(at) => format!(
                "der Schließzeitpunkt muss in der Zukunft liegen, angegeben: {at} (Unix-Sekunden)"
            ),
            AggError::UnknownPath(path) => format!(
                "{:?} ist kein Pfad des veröffentlichten Pfadkatalogs",
                echo(path)
            ),
            AggError::UnknownStage(stage) => format!(
                "unbekannte Phase {:?}; Phasen: {}",
                echo(stage),
                Stage::keys()
            ),
            AggError::BadExchangeKey { field, len } => format!(
                "{field} muss ein 32 Bytes langer öffentlicher X25519-Schlüssel sein, erhalten: \
                 {len} Bytes"
            ),
            AggError::BadCardSize(len) => format!(
                "eine versiegelte Kontaktkarte muss 29 bis {MAX_SEALED_CARD} Bytes lang sein, \
                 erhalten: {len}"
            ),
            AggError::ExportFieldMissing(field) => {
                format!("dem Export fehlt das Textfeld {field:?}")
            }
            AggError::ExportFieldInvalid { field, detail } => {
                format!("Exportfeld {field} ist ungültig: {detail}")
            }
            AggError::NoPublication(round) => {
                format!("keine Veröffentlichung {}", echo(round))
            }
            AggError::Peer(e) => format!("ungültige Nachricht der Partnersuche: {e}"),
            AggError::Replay(key) => format!(
                "wiederholte Nachricht: diese Nonce des Schlüssels {key} wurde bereits gesehen"
            ),
            AggError::IssuedBeforeStart(issued, started) => format!(
                "Anfrage von {issued}, vor dem Start des Aggregators um {started}; eine neue \
                 senden"
            ),
            AggError::NotOffered(path) => format!(
                "Sie bieten {} nicht an; zuerst anbieten (`sovbench-node peers offer`)",
                echo(path)
            ),
            AggError::UnknownPeer(peer, path) => format!(
                "kein gelisteter Partner {} für Sie auf {} (zurückgezogen oder nicht aus Ihrer \
                 Trefferliste)",
                echo(peer),
                echo(path)
            ),
            AggError::UnknownRequest(id) => {
                format!("keine Kontaktanfrage {} für Sie", echo(id))
            }
            AggError::RateLimited { limit, next } => format!(
                "höchstens {limit} Kontaktanfragen je Knoten in 24 Stunden; die nächste ist ab \
                 {next} möglich"
            ),
            AggError::RequestState { id, reason } => {
                format!("Kontaktanfrage {}: {reason}", echo(id))
            }
            AggError::StoreDamaged { round, detail } => format!(
                "Runde {round}: {detail}; der Speicher ist beschädigt (aus einer Sicherung \
                 wiederherstellen, siehe docs/OPERATIONS.md, \"The aggregator refuses to start\")"
            ),
            AggError::RecordFile {
                round,
                path,
                problem,
            } => record_file(round, path, problem, Lang::De),
            AggError::AckRecord { path, detail } => {
                format!("Bestätigungsprotokoll {path}: {detail}")
            }
            AggError::BadCeremony(detail) => format!("Schlüsselerzeugung: {detail}"),
            AggError::CeremonyExists(id) => {
                format!("Schlüsselerzeugung {} gibt es bereits", echo(id))
            }
            AggError::UnknownCeremony(id) => {
                format!("Schlüsselerzeugung {} gibt es nicht", echo(id))
            }
            AggError::CeremonyIncomplete { id, detail } => format!(
                "Schlüsselerzeugung {} ist noch nicht abgeschlossen: {detail}",
                echo(id)
            ),
            AggError::NotTrustee { key, role } => {
                format!("Schlüssel {key} ist nicht der Treuhänder der Rolle {role}")
            }
            AggError::TrusteeConflict(what) => format!(
                "{what}; zuvor wurde eine andere Nachricht gespeichert (eine Nachricht eines \
                 Treuhänders darf nur mit identischen Bytes wiederholt werden)"
            ),
            AggError::BadTrusteeMessage(detail) => {
                format!("ungültige Nachricht eines Treuhänders: {detail}")
            }
            AggError::BadSecureRound(detail) => format!("Modus secure: {detail}"),
            AggError::BadEncryption { round, detail } => {
                format!("Einreichung zu Runde {} abgelehnt: {detail}", echo(round))
            }
            AggError::CopiedCiphertext { round, earlier } => format!(
                "Einreichung zu Runde {} abgelehnt: sie wiederholt einen Geheimtext, der in Runde \
                 {} bereits angenommen wurde; jeder Geheimtext wird nur einmal angenommen",
                echo(round),
                echo(earlier)
            ),
            AggError::RoundAbandoned { round, reason } => format!(
                "Runde {} wurde aufgegeben und wird nicht veröffentlicht: {reason}",
                echo(round)
            ),
            AggError::WrongAggregator { meant, this } => format!(
                "die Betreiberanfrage ist für Aggregator {meant} bestimmt, dies ist {this}; sie \
                 wird abgelehnt, damit sie nicht bei einem anderen Aggregator wiederholt werden kann"
            ),
            AggError::TrusteePhase { round, detail } => format!(
                "Runde {} wartet auf das Treuhändergremium: {detail}",
                echo(round)
            ),
            AggError::NoAnnouncement(round) => {
                format!("keine Ankündigung {}", echo(round))
            }
            AggError::NotOperator(key) => format!(
                "Schlüssel {key} ist kein Betreiberschlüssel dieses Aggregators (aggregator.key \
                 oder operators.toml)"
            ),
            AggError::BadOperators { path, detail } => {
                format!("Betreiberliste {path} ist unbrauchbar: {detail}")
            }
            AggError::BadCommand(detail) => format!("ungültiger Verwaltungsbefehl: {detail}"),
            AggError::AttributesChanged { key, was, now } => format!(
                "Schlüssel {key} ist aufgenommen als {was}; die Aufnahme als {now} ändert seine \
                 Merkmale (mit --update ändern)"
            ),
            AggError::Io { path, source } => {
                format!("Datei {path} nicht lesbar oder schreibbar: {source}")
            }
        }
    }
}

impl AggError {
    /// An error of the command line as the operator reads it: the aggregator's own error in
    /// `lang` (after any context lines around it), other errors as their cause chain.
    pub fn chain_text(e: &anyhow::Error, lang: Lang) -> String {
        let mut line = String::new();
        for link in e.chain() {
            let text = match link.downcast_ref::<AggError>() {
                Some(agg) => agg.localised(lang),
                None => link.to_string(),
            };
            if !line.contains(&text) {
                if !line.is_empty() {
                    line.push_str(": ");
                }
                line.push_str(&text);
            }
            if link.is::<AggError>() {
                // Its German text holds its causes already.
                break;
            }
        }
        line
    }
}

/// A record file that disagrees with the store at start, in `lang`: the file, the round, what is
/// wrong, that the aggregator does not start, and how to recover.
pub(super) fn record_file(round: &str, path: &str, problem: &RecordProblem, lang: Lang) -> String {
    let what = match (problem, lang) {
        (
            RecordProblem::Damaged {
                readable,
                committed,
            },
            Lang::De,
        ) => format!(
            "die Einreichungsdatei {path} der Runde {round} ist vor ihrem festgeschriebenen Ende \
             beschädigt: lesbar bis Byte {readable}, festgeschrieben waren {committed} Bytes \
             (bestätigte Einreichungen können fehlen)"
        ),
        (
            RecordProblem::Damaged {
                readable,
                committed,
            },
            Lang::En,
        ) => format!(
            "the submission record file {path} of round {round} is damaged before its committed \
             end: it reads up to byte {readable}, {committed} bytes were committed (acknowledged \
             submissions may be missing)"
        ),
        (RecordProblem::Missing { committed }, Lang::De) => format!(
            "die Einreichungsdatei {path} der Runde {round} fehlt, festgeschrieben waren \
             {committed} Bytes"
        ),
        (RecordProblem::Missing { committed }, Lang::En) => format!(
            "the submission record file {path} of round {round} is missing; {committed} bytes \
             were committed"
        ),
        (RecordProblem::Unknown, Lang::De) => format!(
            "die Einreichungsdatei {path} gehört zu Runde {round}, die der Speicher nicht kennt \
             (Dateien von sled gelöscht oder ohne sie zurückgespielt)"
        ),
        (RecordProblem::Unknown, Lang::En) => format!(
            "the submission record file {path} belongs to round {round}, which the store does \
             not know (sled's files deleted, or restored without them)"
        ),
    };
    let unknown = matches!(problem, RecordProblem::Unknown);
    match lang {
        Lang::De => format!(
            "{what}; der Aggregator startet nicht. Das Datenverzeichnis unverändert zur Analyse \
             beiseitekopieren und das ganze Datenverzeichnis (Schlüssel, store/, acks.log) aus \
             einer Sicherung wiederherstellen{}; siehe docs/OPERATIONS.md, \"The aggregator \
             refuses to start\"",
            if unknown {
                "; nur wenn der Speicher absichtlich entfernt wurde, die Datei aus \
                 store/submissions/ herausnehmen"
            } else {
                ""
            }
        ),
        Lang::En => format!(
            "{what}; the aggregator does not start. Copy the data directory aside as it is for \
             the analysis and restore the whole data directory (key, store/, acks.log) from a \
             backup{}; see docs/OPERATIONS.md, \"The aggregator refuses to start\"",
            if unknown {
                "; only if the store was removed on purpose, move the file out of \
                 store/submissions/"
            } else {
                ""
            }
        ),
    }
}
