//! German `--help`: a translation table applied to the clap [`Command`] before parsing, when the
//! language is German (`--lang de`, else `SOVBENCH_LANG`, else the default, German).
//!
//! Translated: the node's description, the exit codes, the description of every top-level
//! command, the global options (`--data`, `--json`, `--lang`), the arguments of `init`,
//! `assess`, `compare`, `privacy`, `peers`, `report` and `serve`, and the `inventory` actions with
//! their common arguments. Not translated: clap's own headings and messages ("Usage",
//! "Options", "Commands", `--help`, `--version`, usage errors) and the remaining subcommands'
//! arguments, which keep their English help.

use clap::Command;
use sovbench_core::help::{self, Tables};
use sovbench_core::i18n::Lang;

/// Key `path` (space-separated subcommands, "" for the node itself) → German description.
const ABOUT: &[(&str, &str)] = &[
    ("", "sovbench-Knoten: die Souveränitätsdaten der Verwaltung, lokal gehalten; nur signierte, differentiell private Werte verlassen ihn."),
    ("init", "Legt den lokalen Speicher und die Ed25519-Identität der Verwaltung an und speichert ihr Profil. Gibt den öffentlichen Schlüssel und seinen Fingerabdruck aus: beide dem Betreiber des Aggregators zur Aufnahme übergeben."),
    ("config", "Ändert Einstellungen in node.toml, die gepinnt statt von Hand bearbeitet werden."),
    ("assess", "Erfasst den Souveränitäts-Check (fünf Dimensionen, je 1-5), aus einer Datei oder im Dialog."),
    ("submit", "Nimmt an der offenen Runde des Aggregators teil (und stellt den Postausgang zu): prüft Aufnahme, Signatur und Datenschutzrichtlinie, privatisiert mit OpenDP, verbucht im Ledger, signiert und sendet."),
    ("compare", "Vergleicht die eigenen Werte mit der neuesten (oder einer bestimmten) Veröffentlichung."),
    ("status", "Zeigt Profil, Fingerabdruck, letzten Selbsttest, Datenschutzbudget, Ledger und Postausgang."),
    ("privacy", "Zeigt das verbrauchte und verbleibende Datenschutzbudget; mit --report den Bericht für die Datenschutzbeauftragte."),
    ("inventory", "Das Systeminventar: hinzufügen, ändern, entfernen, auflisten, importieren, exportieren, Risiken, Exit-Strategien, europäische Alternativen."),
    ("inventory add", "Fügt ein System hinzu."),
    ("inventory edit", "Ändert nur die angegebenen Felder eines Systems."),
    ("inventory remove", "Entfernt ein System."),
    ("inventory list", "Listet die Systeme auf."),
    ("inventory show", "Zeigt ein System mit Risiko und Exit-Strategie."),
    ("inventory import", "Importiert Systeme aus CSV (deutsche oder englische Spalten, UTF-8, UTF-16 oder Windows-1252), XLSX (erstes Blatt), JSON oder ODS. Nichts wird gespeichert, wenn eine Zeile fehlerhaft ist; Fehler nennen Zeile und Spalte."),
    ("inventory export", "Exportiert das Inventar als CSV, JSON oder ODS (nach Dateiendung)."),
    ("inventory risks", "Listet die Systeme nach Abhängigkeitsrisiko, mit Begründung."),
    ("inventory exit", "Legt die Exit-Strategie eines Systems an oder ändert nur die angegebenen Felder."),
    ("inventory alternatives", "Der Katalog europäischer Alternativen (aus dem Bericht) mit eigenen Ergänzungen."),
    ("migration", "Migrationspfade: anlegen, voranbringen, zurückrollen, auflisten, anzeigen (Stufenverlauf bleibt erhalten)."),
    ("peers", "Peer-Matching mit doppelter Zustimmung: Verwaltungen auf demselben Migrationspfad finden."),
    ("readiness", "Führt die jährliche Wechselbereitschaftsprüfung über das Inventar durch und zeigt die Änderungen seit der letzten."),
    ("procurement", "Vergabekriterien (gewichtete Matrix) und Bewertung von Produkten für eine Ausschreibung."),
    ("report", "Schreibt einen eigenständigen HTML-Statusbericht der Verwaltung."),
    ("serve", "Läuft dauerhaft: alle INTERVAL Sekunden Postausgang zustellen, an offenen Runden teilnehmen, Peer-Angebote aktuell halten. Hält den Speicher nur je Arbeitsschritt, sodass status, inventory und report daneben funktionieren; endet sauber mit SIGTERM oder Strg-C. Mit --http-listen zusätzlich der Arbeitsplatz im Browser; dann sendet nur eine Person mit Freigabe-Rolle Werte an eine Runde."),
    ("hosting", "Hosting-Modus: macht --data zu einem Hosting-Verzeichnis für viele Verwaltungen."),
    ("hosting init", "Legt ein Hosting-Verzeichnis (unter --data) für viele Verwaltungen an."),
    ("tenants", "Hosting-Modus: die Verwaltungen eines Hosting-Verzeichnisses (--data): hinzufügen, auflisten, entfernen, Bericht einer entfernten exportieren, löschen."),
    ("tenants add", "Fügt eine Verwaltung hinzu: ein eigener Knoten (Schlüssel, node.toml, Speicher, erstes Konto) unter tenants/ID; ihr Arbeitsplatz ist /t/ID/."),
    ("tenants list", "Listet die Verwaltungen (und entfernte, deren Ledger aufbewahrt wird)."),
    ("tenants remove", "Entfernt eine Verwaltung: zieht ihre Peer-Angebote zurück, beendet ihre Sitzungen und bewahrt ihre Daten unter removed/ID auf, bis ihr Bericht für die Datenschutzbeauftragte exportiert ist."),
    ("tenants export", "Schreibt den Bericht für die Datenschutzbeauftragte einer Verwaltung (aktiv oder entfernt)."),
    ("tenants purge", "Löscht eine entfernte Verwaltung, deren Bericht exportiert ist."),
    ("accounts", "Die Personen, die den Arbeitsplatz im Browser (serve --http-listen) nutzen dürfen: anlegen, auflisten, entfernen, neues Passwort."),
    ("accounts add", "Legt eine Person an. Ohne --password-file wird ein Passwort erzeugt und einmal angezeigt."),
    ("accounts list", "Listet die Konten mit ihren Rollen."),
    ("accounts remove", "Entfernt eine Person (die letzte mit Freigabe-Rolle bleibt) und beendet ihre Sitzungen."),
    ("accounts password", "Setzt ein neues Passwort (erzeugt, wenn --password-file fehlt) und beendet die Sitzungen der Person."),
];

/// Key `path --arg-id` → German help of the argument.
const ARGS: &[(&str, &str)] = &[
    (" --data", "Datenverzeichnis des Knotens (Schlüssel, node.toml, Speicher)."),
    (" --json", "Maschinenlesbare JSON-Ausgabe."),
    (" --lang", "Sprache der Ausgabe: de (Standard) oder en. Hat Vorrang vor lang in node.toml."),
    ("init --name", "Name der Verwaltung."),
    ("init --kind", "Art: gemeinde, stadt, landkreis, land, bund, it-dienstleister."),
    ("init --state", "Bundesland als ISO-3166-2:DE-Code, z. B. DE-NW."),
    ("init --population", "Einwohnerzahl (Gemeinde, Stadt, Landkreis, Land)."),
    ("init --staff", "Beschäftigte (Bund, kommunaler IT-Dienstleister)."),
    ("init --aggregator", "gRPC-Adresse des Aggregators, z. B. https://agg.example:7443."),
    ("init --aggregator_key", "Öffentlicher Schlüssel des Aggregators (base64), wie von `sovbench-aggregator init` ausgegeben."),
    ("init --committee_fingerprint", "Modus secure: Fingerabdruck des Treuhändergremiums (64 Hex-Ziffern), außerhalb des Aggregators mit dem Verbund abgeglichen."),
    ("assess --file", "TOML- oder JSON-Datei mit den fünf Antworten."),
    ("assess --history", "Zeigt den Verlauf der Selbsttests, statt einen zu erfassen."),
    ("compare --round", "Runden-ID der Veröffentlichung (Standard: die neueste)."),
    ("privacy --report", "Schreibt den Bericht (Markdown) in diese Datei."),
    ("peers --limit", "Treffer je angebotenem Pfad (höchstens 50)."),
    ("report --output", "Ausgabedatei."),
    ("serve --interval", "Sekunden zwischen zwei Durchläufen."),
    ("serve --http_listen", "Dient zusätzlich den Arbeitsplatz im Browser auf dieser Adresse, z. B. 127.0.0.1:8080 (Port 0: ein freier Port; die URL wird ausgegeben). Auf einer anderen Schnittstelle als Loopback hinter den HTTPS-Proxy des Dienstleisters stellen: Cookies gehen dann nur über HTTPS. Solange der Arbeitsplatz läuft, gehen Werte nur auf „Senden“ einer Person an eine Runde."),
    ("init --account", "Das erste Konto des Arbeitsplatzes im Browser (Rolle approver, Freigabe)."),
    ("init --password_file", "Sein Passwort aus der ersten Zeile dieser Datei; ohne wird eines erzeugt und einmal angezeigt."),
    ("hosting init --provider", "Name des Dienstleisters, angezeigt auf der Einstiegsseite des Arbeitsplatzes."),
    ("tenants export --output", "Der Bericht (Markdown)."),
    ("accounts add --role", "Rolle: editor (füllt aus), approver (sendet, stimmt zu, verwaltet Personen), reader (liest), dpo (Datenschutz)."),
    ("accounts add --password_file", "Passwort aus der ersten Zeile dieser Datei (mindestens 12 Zeichen)."),
    ("accounts password --password_file", "Passwort aus der ersten Zeile dieser Datei."),
    ("inventory import --file", "Datei (.csv, .xlsx, .json, .ods)."),
    ("inventory import --replace", "Ersetzt das ganze Inventar, statt zu ergänzen."),
    ("inventory import --allow_empty", "Mit --replace: eine Datei ohne Systeme annehmen, die das Inventar leert (sonst abgelehnt)."),
    ("inventory export --file", "Datei (.csv, .json, .ods)."),
    ("inventory exit --alternatives", "Alternativen, durch Komma getrennt (siehe `inventory alternatives`)."),
    ("inventory exit --months", "Geschätzte Wechseldauer in Monaten (für eine neue Exit-Strategie nötig)."),
    ("inventory exit --formats", "Zu nutzende Datenexportformate, durch Komma getrennt."),
    ("inventory exit --status", "Status: entwurf, abgestimmt, getestet (neue Exit-Strategie: entwurf)."),
];

/// The node's German help texts.
const TABLES: Tables = Tables {
    about: ABOUT,
    args: ARGS,
    after_help: Some(super::exit::HELP_DE),
};

/// The language of `--help`: `--lang` on the command line, else `SOVBENCH_LANG`, else German.
pub(super) fn help_lang(args: &[std::ffi::OsString]) -> Lang {
    help::help_lang(args)
}

/// `cmd` with its help in `lang` (English is the text of the clap definitions).
pub(super) fn localise(cmd: Command, lang: Lang) -> Command {
    help::localise(cmd, lang, &TABLES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn every_entry_names_an_existing_command_or_argument() {
        let wrong = help::check(&super::super::Cli::command(), &TABLES);
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn german_help_is_applied_and_english_is_left_alone() {
        let render = |lang, path| {
            help::render(localise(super::super::Cli::command(), lang), path).expect("command")
        };
        let (top, init) = (render(Lang::De, ""), render(Lang::De, "init"));
        assert!(
            top.contains("Exit-Codes") && top.contains("Datenverzeichnis"),
            "{top}"
        );
        assert!(top.contains("Wechselbereitschaftsprüfung"), "{top}");
        assert!(init.contains("Name der Verwaltung"), "{init}");
        let (top, init) = (render(Lang::En, ""), render(Lang::En, "init"));
        assert!(
            top.contains("Exit codes") && !top.contains("Exit-Codes"),
            "{top}"
        );
        assert!(init.contains("Name of the administration"), "{init}");
    }
}
