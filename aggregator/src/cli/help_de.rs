//! German `--help` of `sovbench-aggregator` (with [`sovbench_core::help`]): the description of
//! every command and subcommand and the help of every argument, applied when the help language
//! is German (`--lang de`, else `SOVBENCH_LANG`, else German). The English text is the clap
//! definition itself, so man pages and completions (`sovbench-gen`) stay English.

use sovbench_core::help::Tables;

/// The aggregator's German help texts.
pub(super) const TABLES: Tables = Tables {
    about: ABOUT,
    args: ARGS,
    after_help: Some(
        "Exit-Codes: 0 Erfolg; 1 Fehler (die Meldung sagt, was und wo); 2 ungültige Befehlszeile.",
    ),
};

/// Command path → German description.
const ABOUT: &[(&str, &str)] = &[
    ("", "sovbench-Aggregator: prüft die signierten, privatisierten Einreichungen der Verwaltungen eines Verbunds und veröffentlicht signierte Kohorten-Benchmarks."),
    ("init", "Legt den Speicher und den Ed25519-Signaturschlüssel des Aggregators an; gibt den öffentlichen Schlüssel aus, den die Knoten als aggregator_key eintragen."),
    ("key", "Zeigt den öffentlichen Schlüssel des Aggregators und seinen Fingerabdruck."),
    ("enrol", "Aufnahme: trägt den öffentlichen Schlüssel eines Knotens mit den Kohortenmerkmalen der Verwaltung ein; oder listet die Aufnahmen (--list) oder widerruft eine (--revoke). Funktioniert auch, während `serve` läuft (über die Verwaltungsschnittstelle, siehe --admin und --operator-key); ein Widerruf wirkt bei der nächsten Einreichung des Schlüssels."),
    ("round", "Benchmark-Runden öffnen, schließen oder auflisten."),
    ("round open", "Öffnet eine Runde (immer nur eine zugleich); ihre Parameter werden signiert. Zeigt vorher eine Vorschau: je Kohorte die aktiven Aufnahmen, ob Zellen voraussichtlich veröffentlicht werden, ihre erwarteten Halbbreiten und Warnungen, wenn übliche Datenschutzrichtlinien der Knoten die Runde ablehnen würden."),
    ("round close", "Schließt eine Runde: danach werden keine Einreichungen mehr angenommen."),
    ("round abandon", "Gibt eine geschlossene Runde im Modus secure auf, die nicht entschlüsselt werden kann (etwa weil die Treuhänder ihr Bulletin abgelehnt haben): sie wird nie veröffentlicht, der Grund wird gespeichert und jedem Knoten genannt, der nach ihrer Veröffentlichung fragt. Die Treuhänder gehen zur nächsten Runde über."),
    ("round list", "Listet die Runden auf."),
    ("committee", "Treuhändergremien für den Modus secure: eine Schlüsselerzeugung (DKG) anmelden, die Zeremonien auflisten."),
    ("committee create", "Meldet eine Schlüsselerzeugung (DKG) an: die Treuhänder führen sie dann über diesen Aggregator durch; sie ist abgeschlossen, wenn sich alle auf ein Treuhändergremium einigen."),
    ("committee list", "Listet die Zeremonien: t von m, eingegangene Nachrichten, abgeschlossen, Fingerabdruck des Treuhändergremiums."),
    ("publish", "Berechnet, signiert und speichert den Benchmark einer geschlossenen Runde (die Veröffentlichung) und zeigt ihn."),
    ("peers", "Überblick über das Peer-Matching: Angebote je Migrationspfad und Stufe, Kontaktanfragen nach Zustand. Nennt keine Verwaltung."),
    ("status", "Beteiligung an der offenen Runde je Kohorte (nur Anzahlen), die Runden und ihr Zustand, die Aufnahmen und die Treuhänder-Phase von secure-Runden. Funktioniert auch, während `serve` läuft."),
    ("serve", "Stellt die gRPC-Schnittstelle bereit. Runden, deren Schlusszeit verstrichen ist, werden automatisch geschlossen und veröffentlicht. Vermittelt auch das Peer-Matching (docs/PEERS.md). Mit --http-listen zusätzlich das Benchmark-Portal (docs/PORTAL.md). Endet sauber mit Strg-C oder SIGTERM."),
];

/// `path --arg-id` → German help of the argument.
const ARGS: &[(&str, &str)] = &[
    (" --data", "Datenverzeichnis (Signaturschlüssel, Speicher)."),
    (" --json", "Maschinenlesbare JSON-Ausgabe."),
    (" --admin", "Betreiberbefehle über die Verwaltungsschnittstelle an dieser Adresse (Standard: die Adresse in serve.addr des Datenverzeichnisses, wenn `serve` den Speicher hält)."),
    (" --operator_key", "Betreiberbefehle über die Verwaltungsschnittstelle: mit diesem Ed25519-Schlüssel (PKCS#8) signieren statt mit aggregator.key; sein öffentlicher Schlüssel muss in operators.toml stehen."),
    (" --aggregator_key", "Betreiberbefehle über die Verwaltungsschnittstelle mit --operator-key: der öffentliche Schlüssel des Aggregators (base64, von `sovbench-aggregator key` ausgegeben); jede Anfrage ist an ihn gebunden und wird von jedem anderen Aggregator abgelehnt."),
    (" --admin_ca", "Betreiberbefehle über --admin https://… von einem anderen Rechner: die CA-Datei (PEM), die das Zertifikat des Aggregators ausgestellt hat (Standard: die Zertifizierungsstellen des Systems)."),
    (" --lang", "Sprache der Ausgabe: de (Standard) oder en."),
    ("init --consortium", "Name des Verbunds, z. B. \"IT-Verbund Nord\"."),
    ("enrol --key", "Öffentlicher Schlüssel des Knotens (base64, von `sovbench-node init` ausgegeben)."),
    ("enrol --name", "Name der Verwaltung (nur für den Betreiber; wird nie veröffentlicht)."),
    ("enrol --kind", "Art: gemeinde, stadt, landkreis, land, bund, it-dienstleister."),
    ("enrol --state", "Bundesland als ISO-3166-2:DE-Code."),
    ("enrol --population", "Einwohnerzahl (Gebietskörperschaften)."),
    ("enrol --staff", "Beschäftigte (Bund, IT-Dienstleister)."),
    ("enrol --list", "Stattdessen die Aufnahmen auflisten."),
    ("enrol --revoke", "Widerruf der Aufnahme dieses öffentlichen Schlüssels (base64). Wirkt sofort, auch während `serve` läuft: die nächste Einreichung des Schlüssels wird abgelehnt."),
    ("enrol --update", "Name oder Merkmale eines aufgenommenen Schlüssels ändern (ohne diese Angabe wird eine erneute Aufnahme abgelehnt)."),
    ("round open --id", "Runden-ID, z. B. 2026-q4: 1 bis 64 Buchstaben, Ziffern, '.', '_' oder '-', beginnend mit einem Buchstaben oder einer Ziffer."),
    ("round abandon --id", "Runden-ID."),
    ("round abandon --reason", "Der Grund, in einem Satz, den die Verwaltungen lesen."),
    ("round open --metrics", "Metrik-IDs, durch Komma getrennt (Standard: die fünf Dimensionen des Selbsttests; weitere: selftest.band, selftest.exit_strategy, inventory.*, path.*)."),
    ("round open --epsilon", "Modus direct: Epsilon eines veröffentlichten Werts (jeder Knoten verbraucht es mal --releases-per-node). Modus secure: der Datenschutzverlust der ganzen Einreichung einer Verwaltung, gesetzt durch das Rauschen der Treuhänder."),
    ("round open --releases_per_node", "Wie viele Metriken jeder Knoten freigibt, auf dem Knoten zufällig gewählt (0 = alle). Jeder Knoten verbraucht dann Epsilon mal diese Zahl vom Datenschutzbudget. Modus secure: immer 0 (alle)."),
    ("round open --mode", "direct (lokales Rauschen auf jedem Knoten) oder secure (Werte an ein Treuhändergremium verschlüsselt, Rauschen einmal auf die Zellsummen; braucht --committee)."),
    ("round open --committee", "Modus secure: ID einer abgeschlossenen Schlüsselerzeugung (`committee list`)."),
    ("round open --grid", "Modus secure: das Veröffentlichungsraster, kind-size oder all+kind-size."),
    ("round open --all_weight", "Modus secure, Raster all+kind-size: Anteil von Epsilon für die Zelle `all`, in (0, 1)."),
    ("round open --path_bound", "Modus secure: Pfadgrenze b, höchstens b Migrationspfade je Verwaltung (ihre Pfadmetriken werden gemeinsam verschlüsselt; die Pfade kosten 2·b statt je 2 in der Sensitivität). Höchstens die Zahl der Pfadmetriken der Runde; 0 = keine."),
    ("round open --path_bound", "Modus secure: Pfadschranke b, höchstens b Migrationspfade je Verwaltung (ihre Pfad-Metriken werden gemeinsam verschlüsselt; die Pfade kosten 2·b statt je 2 in der Sensitivität). Höchstens die Zahl der Pfad-Metriken der Runde; 0 = keine."),
    ("round open --min_cohort", "Mindestzahl der Beitragenden einer veröffentlichten Kohorte."),
    ("round open --closes_in", "Zeit bis zum Schließen der Runde: z. B. 90s, 30m, 12h, 14d."),
    ("round open --dry_run", "Nur die Vorschau zeigen (voraussichtlich veröffentlichte Zellen, Halbbreiten, Warnungen); nichts öffnen."),
    ("round close --id", "Runden-ID."),
    ("committee create --id", "ID der Zeremonie, z. B. nord-2026: 1 bis 64 Buchstaben, Ziffern, '.', '_' oder '-', beginnend mit einem Buchstaben oder einer Ziffer."),
    ("committee create --threshold", "Schwelle t: so viele Treuhänder sind zum Entschlüsseln nötig (1 ≤ t ≤ m)."),
    ("committee create --trustees", "Öffentlicher Ed25519-Schlüssel eines Treuhänders (base64), in der Reihenfolge des Treuhändergremiums; 2 bis 64."),
    ("publish --round", "Runden-ID."),
    ("publish --export", "Zusätzlich die signierte Veröffentlichung als JSON schreiben (payload, signature, public_key, benchmark)."),
    ("serve --max_connections", "Höchstens so viele offene gRPC-Verbindungen (Standard: die Grenze offener Dateideskriptoren, auf die harte Grenze angehoben, weniger 128). An der Grenze schließt eine neue Verbindung die am längsten untätige (mindestens 1 s untätig)."),
    ("serve --idle_timeout", "Eine gRPC-Verbindung schließen, über die so lange nichts gesendet oder empfangen wurde (Sekunden)."),
    ("serve --listen", "Adresse, auf der gelauscht wird."),
    ("serve --peer_requests_per_day", "Peer-Matching: Kontaktanfragen, die ein Knoten binnen 24 Stunden stellen darf."),
    ("serve --noise_wait", "Modus secure: Sekunden nach der Ankündigung, nach denen die Rauschmenge mit weniger als allen Treuhändern festgelegt wird (mindestens m − t + 1 müssen geliefert haben)."),
    ("serve --http_listen", "Zusätzlich das Benchmark-Portal (HTTP-API und Dashboard der Veröffentlichungen, ohne Anmeldung) auf dieser Adresse, z. B. 127.0.0.1:8080; siehe docs/PORTAL.md."),
    ("serve --http_rate", "Portal: Anfragen je Sekunde und Client-Adresse (Token-Bucket)."),
    ("serve --http_burst", "Portal: Anfragen, die eine Client-Adresse auf einmal stellen darf (Bucket-Größe)."),
    ("serve --metrics_listen", "Prometheus-Metriken (Textformat) auf dieser Adresse, Pfad /metrics, z. B. 127.0.0.1:9464; siehe docs/OPERATIONS.md."),
    ("serve --tls_cert", "TLS: die Zertifikatskette des Servers (PEM, Blattzertifikat zuerst). Mit --tls-key."),
    ("serve --tls_key", "TLS: der private Schlüssel des Servers (PEM: PKCS#8, PKCS#1 oder SEC1). Mit --tls-cert."),
    ("serve --client_ca", "mTLS: nur Clients mit einem von dieser CA (PEM) signierten Zertifikat kommen durch den Handshake."),
    ("serve --tls_reload_secs", "So oft Zertifikat, Schlüssel und Client-CA auf Änderungen prüfen und neue ohne Neustart laden (SIGHUP lädt sofort; 0: nur bei SIGHUP)."),
    ("serve --insecure_plaintext", "Unverschlüsseltes gRPC auf einer Adresse, die nicht Loopback ist (nur hinter einem TLS-terminierenden Proxy in einem vertrauenswürdigen Netz). Ohne TLS wird Klartext auf solchen Adressen abgelehnt."),
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
            top.contains("Exit-Codes") && top.contains("Aufnahme"),
            "{top}"
        );
        let open = de("round open").expect("round open");
        assert!(
            open.contains("Datenschutzbudget") && open.contains("Runden-ID"),
            "{open}"
        );
        let serve = de("serve").expect("serve");
        assert!(
            serve.contains("Zertifikatskette") && serve.contains("Sprache der Ausgabe"),
            "{serve}"
        );
        let top = en("").expect("top");
        assert!(
            top.contains("Exit codes") && !top.contains("Exit-Codes"),
            "{top}"
        );
        let open = en("round open").expect("round open");
        assert!(
            open.contains("Round id") && !open.contains("Runden-ID"),
            "{open}"
        );
    }
}
