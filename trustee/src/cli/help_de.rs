//! German `--help` of `sovbench-trustee` (with [`sovbench_core::help`]): every command and every
//! argument, applied when the help language is German (`--lang de`, else `SOVBENCH_LANG`, else
//! German). The English text is the clap definition itself, so man pages and completions
//! (`sovbench-gen`) stay English.

use sovbench_core::help::Tables;

/// The trustee's German help texts.
pub(super) const TABLES: Tables = Tables {
    about: ABOUT,
    args: ARGS,
    after_help: Some(
        "Die Kryptographie (elastic-elgamal) ist nicht unabhängig geprüft.\n\
         Exit-Codes: 0 Erfolg; 1 Fehler (die Meldung sagt, was und wo); 2 ungültige Befehlszeile.",
    ),
};

/// Command path → German description.
const ABOUT: &[(&str, &str)] = &[
    ("", "sovbench-Treuhänder: hält einen Anteil am Schlüssel des Treuhändergremiums für den Modus secure, prüft das Bulletin jeder geschlossenen Runde und steuert seinen Rauschanteil bei. Entschlüsselt nur die angekündigten verrauschten Kohortensummen, jede Runde einmal, und spricht nur mit dem Aggregator (kein eingehender Port)."),
    ("init", "Legt das Datenverzeichnis, den Ed25519-Schlüssel des Treuhänders und trustee.toml an; gibt den öffentlichen Schlüssel für `sovbench-aggregator committee create` des Betreibers aus."),
    ("dkg", "Führt die Schlüsselerzeugung (DKG) durch (oder setzt sie fort), bis das Treuhändergremium vollständig ist."),
    ("serve", "Arbeitet unbeaufsichtigt: prüft jede angekündigte Runde, liefert Rausch- und Entschlüsselungsanteile. Endet sauber mit Strg-C oder SIGTERM."),
    ("status", "Zeigt Schlüssel, Aggregator, Treuhändergremium, die bearbeiteten Runden und wie `serve` abfragt (auch während `serve` läuft: dann aus seiner Statusdatei serve-status.json)."),
    ("config", "Ändert eine Einstellung in trustee.toml nach einer Prüfung (auch während `serve` läuft; `serve` neu starten, damit es die Änderung verwendet)."),
    ("config aggregator-ca", "Vertraut dieser CA für das TLS-Zertifikat des Aggregators: setzt aggregator_ca in trustee.toml. Für eine https://-Adresse des Aggregators, deren Zertifikat von keiner CA im Vertrauensspeicher des Systems signiert ist (z. B. der eigenen CA des Verbunds). Die Datei muss ein PEM-Zertifikat enthalten; eingetragen wird ihr absoluter Pfad."),
];

/// `path --arg-id` → German help of the argument.
const ARGS: &[(&str, &str)] = &[
    (
        " --dir",
        "Datenverzeichnis (Identitätsschlüssel, trustee.toml, Speicher mit dem Schlüsselanteil).",
    ),
    (" --lang", "Sprache der Ausgabe: de (Standard) oder en."),
    (
        " --json",
        "Maschinenlesbare JSON-Ausgabe (init, dkg, status, config); die Felder sind in docs/OPERATIONS.md beschrieben und kommen nur hinzu.",
    ),
    (
        "init --aggregator",
        "gRPC-Adresse des Aggregators (https://host:port, oder http:// nur auf Loopback).",
    ),
    (
        "init --aggregator_key",
        "Öffentlicher Schlüssel des Aggregators, base64 (`sovbench-aggregator key`).",
    ),
    (
        "dkg --ceremony",
        "ID der Zeremonie, vom Betreiber des Aggregators angemeldet.",
    ),
    ("dkg --poll", "Sekunden zwischen zwei Abfragen des Boards."),
    (
        "serve --poll",
        "Sekunden zwischen zwei Abfragen beim Aggregator.",
    ),
    (
        "config aggregator-ca --file",
        "Das CA-Zertifikat (PEM).",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;
    use sovbench_core::help;
    use sovbench_core::i18n::Lang;

    use super::super::Cli;

    #[test]
    fn every_entry_names_an_existing_command_or_argument() {
        let wrong = help::check(&Cli::command(), &TABLES);
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn every_command_and_argument_has_a_german_text() {
        let missing = help::untranslated(&Cli::command(), &TABLES);
        assert!(missing.is_empty(), "{missing:#?}");
    }

    #[test]
    fn german_help_is_german_and_english_help_stays_english() {
        let de = |path| help::render(help::localise(Cli::command(), Lang::De, &TABLES), path);
        let en = |path| help::render(help::localise(Cli::command(), Lang::En, &TABLES), path);
        let top = de("").expect("top");
        assert!(
            top.contains("Exit-Codes") && top.contains("Schlüsselerzeugung"),
            "{top}"
        );
        let dkg = de("dkg").expect("dkg");
        assert!(
            dkg.contains("ID der Zeremonie") && dkg.contains("Datenverzeichnis"),
            "{dkg}"
        );
        let top = en("").expect("top");
        assert!(
            top.contains("Exit codes") && !top.contains("Exit-Codes"),
            "{top}"
        );
        let dkg = en("dkg").expect("dkg");
        assert!(
            dkg.contains("Ceremony id") && !dkg.contains("ID der Zeremonie"),
            "{dkg}"
        );
    }
}
