//! The privacy report for the data protection officer (Datenschutzbeauftragte): every release,
//! exactly the values that left the node, the mechanism, its parameter and epsilon, the budget (the
//! last 365 days, when it frees up, the lifetime total), and what the guarantee means in plain
//! language; releases in mode secure with the committee and the hashes of the encrypted values
//! (module `secure`). Markdown, German by default. [`budget_lines`] is the budget as `status` and
//! `privacy` print it.

use std::fmt::Write as _;

use sovbench_core::catalogue::{Catalogue, MechanismKind};
use sovbench_core::envelope::fingerprint;
use sovbench_core::i18n::Lang;
use sovbench_core::time::format_utc;

use crate::error::NodeError;
use crate::model::{DeliveryState, Profile, ReleaseMode, ReleaseRecord};
use crate::node::Node;
use crate::round::policy::{budget, by_year, Budget};

/// The budget in a few lines (de/en): spent and remaining in the last 365 days, when budget
/// frees up, and the lifetime total.
pub fn budget_lines(b: &Budget, lang: Lang) -> Vec<String> {
    let l = |de: &'static str, en: &'static str| lang.pick(de, en);
    let mut lines = vec![format!(
        "{} ({} {}): ε {:.3} / {:.3} {} {} {}, {} {:.3}",
        l(
            "Datenschutzbudget der letzten 365 Tage",
            "Privacy budget of the last 365 days"
        ),
        l("seit", "since"),
        format_utc(b.window_start),
        b.spent,
        b.limit,
        l("verbraucht in", "spent in"),
        b.rounds,
        l("Runden", "rounds"),
        l("verbleibend", "remaining"),
        b.remaining
    )];
    for f in &b.frees_up {
        lines.push(format!(
            "  {} {}: ε {:.3}",
            l("wird wieder frei am", "frees up on"),
            format_utc(f.at),
            f.epsilon
        ));
    }
    lines.push(match (b.lifetime_limit, b.lifetime_remaining) {
        (Some(cap), Some(rem)) => format!(
            "{}: ε {:.3} / {:.3}, {} {:.3}",
            l("Insgesamt seit Beginn", "Lifetime total"),
            b.lifetime_spent,
            cap,
            l("verbleibend", "remaining"),
            rem
        ),
        _ => format!(
            "{}: ε {:.3} ({})",
            l("Insgesamt seit Beginn", "Lifetime total"),
            b.lifetime_spent,
            l(
                "keine Obergrenze festgelegt: privacy.max_epsilon_lifetime",
                "no cap set: privacy.max_epsilon_lifetime"
            )
        ),
    });
    lines
}

fn state_text(s: DeliveryState, lang: Lang) -> &'static str {
    match s {
        DeliveryState::Pending => lang.pick(
            "noch nicht zugestellt (Postausgang)",
            "not yet delivered (outbox)",
        ),
        DeliveryState::Delivered => {
            lang.pick("zugestellt, Quittung liegt vor", "delivered, receipt kept")
        }
        DeliveryState::Refused => lang.pick(
            "vom Aggregator abgelehnt (dennoch angerechnet)",
            "refused by the aggregator (still counted)",
        ),
    }
}

fn mechanism_of(r: &ReleaseRecord) -> Option<MechanismKind> {
    serde_json::from_value(serde_json::Value::String(r.mechanism.clone())).ok()
}

/// The value as it left the node, readable.
fn sent_value(r: &ReleaseRecord, cat: &Catalogue, lang: Lang) -> String {
    let def = cat.metric(&r.metric);
    match mechanism_of(r) {
        Some(MechanismKind::DiscreteLaplace) => match def {
            Some(d) if d.grid > 1 => {
                format!("{} (= {:.3})", r.value, r.value as f64 / d.grid as f64)
            }
            _ => r.value.to_string(),
        },
        Some(MechanismKind::RandomizedResponseBool) => if r.value == 1 {
            lang.pick("ja", "yes")
        } else {
            lang.pick("nein", "no")
        }
        .to_string(),
        Some(MechanismKind::RandomizedResponse) => def
            .and_then(|d| d.categories.get(r.value as usize))
            .map(|c| lang.pick(&c.label_de, &c.label_en).to_string())
            .unwrap_or_else(|| r.value.to_string()),
        Some(MechanismKind::RandomizedResponseBitvec) => {
            let set: Vec<String> = r
                .bits
                .iter()
                .enumerate()
                .filter(|(_, b)| **b)
                .map(|(i, _)| {
                    def.and_then(|d| d.categories.get(i))
                        .map(|c| c.key.clone())
                        .unwrap_or_else(|| i.to_string())
                })
                .collect();
            format!("{{{}}}", set.join(", "))
        }
        None => r.value.to_string(),
    }
}

fn parameter(r: &ReleaseRecord, lang: Lang) -> String {
    match mechanism_of(r) {
        Some(MechanismKind::DiscreteLaplace) => {
            format!("{} {:.3}", lang.pick("Skala", "scale"), r.scale)
        }
        Some(MechanismKind::RandomizedResponseBitvec) => format!("f = {:.4}", r.probability),
        Some(_) => format!("p = {:.4}", r.probability),
        None => "-".to_string(),
    }
}

/// Writes the report as Markdown.
pub fn render(node: &Node, lang: Lang, now: i64) -> Result<String, NodeError> {
    let profile: Profile = node.profile()?;
    let policy = &node.config().privacy;
    let ledger = node.store().ledger()?;
    let cat = Catalogue::shared();
    let mut o = String::new();
    let l = |de: &'static str, en: &'static str| lang.pick(de, en);
    let _ = writeln!(
        o,
        "# {} – {}\n",
        l("Datenschutzbericht sovbench", "sovbench privacy report"),
        profile.name
    );
    let _ = writeln!(
        o,
        "{} {}. {}: `{}`.\n",
        l("Erstellt am", "Created on"),
        format_utc(now),
        l(
            "Fingerabdruck des Knotenschlüssels",
            "Fingerprint of the node key"
        ),
        fingerprint(node.public_key())
    );
    let _ = writeln!(
        o,
        "## {}\n",
        l(
            "Datenschutzrichtlinie dieses Knotens",
            "This node's privacy policy"
        )
    );
    let _ = writeln!(
        o,
        "- {} ε = {} {}\n- {} ε = {} {}\n- {}\n- {} k ≥ {}\n",
        l("höchstens", "at most"),
        policy.max_epsilon_per_round,
        l("je Runde", "per round"),
        l("höchstens", "at most"),
        policy.max_epsilon_per_year,
        l(
            "in jeweils 365 Tagen (gleitendes Fenster: eine Freigabe zählt 365 Tage lang, kein Jahreswechsel setzt das Budget zurück)",
            "in any 365 days (a rolling window: a release counts for 365 days, no New Year resets the budget)"
        ),
        match policy.max_epsilon_lifetime {
            Some(cap) => format!(
                "{} ε = {cap} {}",
                l("höchstens", "at most"),
                l("insgesamt über die Lebensdauer des Knotens", "in total over the node's lifetime")
            ),
            None => l(
                "keine Obergrenze über die Lebensdauer (privacy.max_epsilon_lifetime nicht gesetzt)",
                "no cap over the node's lifetime (privacy.max_epsilon_lifetime not set)"
            )
            .to_string(),
        },
        l(
            "nur Runden, deren veröffentlichte Zellen mindestens so viele Teilnehmende haben:",
            "only rounds whose published cells have at least this many contributors:"
        ),
        policy.min_cohort
    );
    secure::policy(&mut o, node.config(), lang);
    let _ = writeln!(
        o,
        "{}\n",
        l(
            "Die Mindestgröße k ist eine Qualitätsregel, keine Datenschutzgarantie: Weil Kohorten sich überschneiden, lässt sich die Teilnehmerzahl einer unterdrückten Zelle aus veröffentlichten Zellen errechnen. Geschützt ist jeder Wert durch die differenzielle Privatsphäre (ε je Wert, siehe unten), unabhängig von der Größe der Kohorte.",
            "The minimum cohort size k is a quality rule, not a privacy guarantee: because cohorts overlap, the number of contributors of a suppressed cell can be computed from published cells. Every value is protected by differential privacy (ε per value, see below), whatever the size of the cohort."
        )
    );
    let _ = writeln!(
        o,
        "{}\n",
        l(
            "Runden, die mehr verlangen, lehnt der Knoten ab, bevor irgendein Wert berechnet oder gesendet wird.",
            "The node refuses rounds that ask for more before any value is computed or sent."
        )
    );
    let _ = writeln!(o, "## {}\n", l("Verbrauchtes Budget", "Budget spent"));
    for line in budget_lines(&budget(&ledger, policy, now), lang) {
        let _ = writeln!(o, "- {}", line.trim_start());
    }
    let _ = writeln!(
        o,
        "\n| {} | {} | {} |\n|---|---|---|",
        l("Kalenderjahr (UTC)", "Calendar year (UTC)"),
        l("Runden", "Rounds"),
        l("verbraucht (ε)", "spent (ε)"),
    );
    for (year, (spent, rounds)) in by_year(&ledger) {
        let _ = writeln!(o, "| {year} | {rounds} | {spent:.3} |");
    }
    let _ = writeln!(
        o,
        "\n## {}\n",
        l(
            "Freigaben: genau die Werte, die den Knoten verlassen haben",
            "Releases: exactly the values that left the node"
        )
    );
    if ledger.is_empty() {
        let _ = writeln!(
            o,
            "{}\n",
            l(
                "Bisher wurde nichts freigegeben.",
                "Nothing has been released so far."
            )
        );
    }
    for e in &ledger {
        let _ = writeln!(
            o,
            "### {} {} ({})\n\n- {}: {}\n- {}: {}\n- {}: `{}`\n- {}: ε = {:.3}\n",
            l("Runde", "Round"),
            e.round_id,
            format_utc(e.recorded_at),
            l("Status", "State"),
            state_text(e.state, lang),
            l("Empfänger (Aggregator)", "Recipient (aggregator)"),
            e.aggregator,
            l(
                "SHA-256 der signierten Nachricht",
                "SHA-256 of the signed message"
            ),
            e.payload_sha256,
            l("Summe dieser Runde", "Total of this round"),
            e.epsilon
        );
        if let Some(sec) = e.secure.as_ref().filter(|_| e.mode == ReleaseMode::Secure) {
            secure::release(&mut o, sec, e.epsilon, lang);
            continue;
        }
        let _ = writeln!(
            o,
            "| {} | {} | {} | ε | {} |\n|---|---|---|---|---|",
            l("Kennzahl", "Metric"),
            l("Mechanismus (OpenDP)", "Mechanism (OpenDP)"),
            l("Parameter", "Parameter"),
            l("gesendeter (verrauschter) Wert", "value sent (noisy)")
        );
        for r in &e.releases {
            let mech = mechanism_of(r)
                .map(|m| format!("{} (`{}`)", m.label(lang), m.opendp_constructor()))
                .unwrap_or_else(|| r.mechanism.clone());
            let _ = writeln!(
                o,
                "| {} (`{}`) | {} | {} | {:.3} | {} |",
                cat.label(&r.metric, lang),
                r.metric,
                mech,
                parameter(r, lang),
                r.epsilon,
                sent_value(r, cat, lang)
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "## {}\n",
        l("Was die Garantie bedeutet", "What the guarantee means")
    );
    let _ = writeln!(o, "{}\n", l(
        "Jeder Wert wird auf diesem Knoten verrauscht, bevor er ihn verlässt (lokale Differential Privacy). \
Für eine Freigabe mit dem Parameter ε gilt: Ganz gleich, was die wahre Antwort war – hätte die Verwaltung \
irgendetwas anderes geantwortet, wäre jeder mögliche gesendete Wert höchstens um den Faktor e^ε \
wahrscheinlicher oder unwahrscheinlicher gewesen (ε = 1: Faktor 2,7; ε = 2: Faktor 7,4). Wer den Wert sieht \
– der Aggregator, andere Verwaltungen, die Öffentlichkeit –, kann seine Vermutung über die wahre Antwort \
daher nur um diesen Faktor verschieben. Mehrere Freigaben addieren sich: Die Summe der ε eines Jahres \
begrenzt, was alle Freigaben des Jahres zusammen verraten können. Berechnungen aus den Werten \
(Benchmarks, Vergleiche) kosten kein weiteres Budget.",
        "Every value is made noisy on this node before it leaves (local differential privacy). For a \
release with parameter ε: whatever the true answer was, had the administration answered anything \
else, each possible sent value would have been at most a factor e^ε more or less likely (ε = 1: \
factor 2.7; ε = 2: factor 7.4). Whoever sees the value – the aggregator, other administrations, the \
public – can therefore shift their belief about the true answer by at most this factor. Releases add \
up: the sum of a year's ε bounds what all releases of the year together can reveal. Anything computed \
from the values (benchmarks, comparisons) costs no further budget."
    ));
    let _ = writeln!(o, "- **{}**: {}", l("Diskreter Laplace-Mechanismus", "Discrete Laplace mechanism"), l(
        "Zur wahren Punktzahl wird eine zufällige ganze Zahl addiert; je kleiner ε, desto größer das Rauschen (bei ε = 1 und Werten 1–5 typischerweise ±5).",
        "A random whole number is added to the true score; the smaller ε, the larger the noise (at ε = 1 and values 1–5, typically ±5)."));
    let _ = writeln!(o, "- **{}**: {}", l("Randomized Response", "Randomized response"), l(
        "Die wahre Antwort wird nur mit Wahrscheinlichkeit p gesendet, sonst eine zufällige andere; kein einzelner gesendeter Wert belegt die wahre Antwort.",
        "The true answer is sent only with probability p, otherwise a random other one; no single sent value proves the true answer."));
    let _ = writeln!(
        o,
        "- **{}**: {}\n",
        l("Bitvektor", "Bit vector"),
        l(
            "Jedes Bit wird mit Wahrscheinlichkeit f/2 umgedreht.",
            "Each bit is flipped with probability f/2."
        )
    );
    if node.config().committee_fingerprint.is_some()
        || ledger.iter().any(|e| e.mode == ReleaseMode::Secure)
    {
        secure::guarantee(&mut o, lang);
    }
    let _ = writeln!(o, "## {}\n", l("Wer was weiß", "Who knows what"));
    let _ = writeln!(
        o,
        "| {} | {} |\n|---|---|",
        l("wer", "who"),
        l("was", "what")
    );
    let rows: [(&str, &str); 5] = [
        (
            l("Aggregator, aus der Aufnahme", "Aggregator, from enrolment"),
            l(
                "Name der Verwaltung, **genaue Einwohner- bzw. Beschäftigtenzahl**, Art der Verwaltung, Bundesland, Größenklasse und der öffentliche Schlüssel dieses Knotens (der Betreiber hat sie bei der Aufnahme eingetragen)",
                "the administration's name, its **exact population or staff count**, kind of administration, Bundesland, size class and this node's public key (entered by the operator at enrolment)",
            ),
        ),
        (
            l("Aggregator, aus den Runden", "Aggregator, from rounds"),
            l(
                "an welchen Runden der Knoten teilgenommen hat und wann (Signaturzeit), und die verrauschten Werte (unten vollständig aufgeführt); im Modus sicher nur Geheimtexte",
                "which rounds the node took part in and when (signing time), and the noisy values (all listed below); in mode secure only ciphertexts",
            ),
        ),
        (
            l("Aggregator, aus der Partnersuche", "Aggregator, from peer matching"),
            l(
                "nur bei Angeboten: den Katalogpfad und die Phase, bei jeder gesendeten Änderung (Protokoll unten); wer wen um Kontakt gebeten hat und ob zugesagt wurde",
                "only with offers: the catalogue path and the stage, at every change sent (log below); who asked whom for contact and whether the answer was yes",
            ),
        ),
        (
            l("andere Verwaltungen", "other administrations"),
            l(
                "nur wer selbst einen Pfad derselben Kategorie anbietet: einen pseudonymen Listeneintrag (Pseudonym je Betrachter und Pfad, Pfad, Phase, Art, Größenklasse, Punktzahl); nach beiderseitigem Ja die Kontaktkarte, Ende-zu-Ende verschlüsselt",
                "only those offering a path of the same category themselves: a pseudonymous list entry (pseudonym per viewer and path, path, stage, kind, size class, score); after a double yes the contact card, end-to-end encrypted",
            ),
        ),
        (
            l("Öffentlichkeit", "the public"),
            l(
                "nur veröffentlichte Kohortenschätzungen mit der Zahl der Teilnehmenden je Kohorte",
                "only published cohort estimates with the number of contributors per cohort",
            ),
        ),
    ];
    for (who, what) in rows {
        let _ = writeln!(o, "| {who} | {what} |");
    }
    let _ = writeln!(o);
    let stages = node.store().stages_sent()?;
    let offers = node.store().peer_offers()?;
    let _ = writeln!(
        o,
        "### {}\n",
        l(
            "Partnersuche: gesendete Phasen",
            "Peer matching: stages sent"
        )
    );
    if stages.is_empty() && offers.is_empty() {
        let _ = writeln!(
            o,
            "{}\n",
            l(
                "Keine Angebote: für die Partnersuche wurde nichts gesendet.",
                "No offers: nothing was sent for peer matching."
            )
        );
    } else {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |\n|---|---|---|---|",
            l("Zeit", "Time"),
            l("Pfad", "Path"),
            l("Phase", "Stage"),
            l("Anlass", "Why")
        );
        for e in &stages {
            let _ = writeln!(
                o,
                "| {} | `{}` | {} | {}{} |",
                format_utc(e.sent_at),
                e.path_id,
                e.stage,
                e.why,
                if e.acknowledged {
                    ""
                } else {
                    l(" (unbestätigt)", " (unacknowledged)")
                }
            );
        }
        for x in &offers {
            if x.withdrawing {
                let _ = writeln!(
                    o,
                    "\n- `{}`: {}",
                    x.path_id,
                    l(
                        "Rücknahme ausstehend (noch nicht vom Aggregator bestätigt)",
                        "withdrawal pending (not yet acknowledged by the aggregator)"
                    )
                );
            } else if let Some(h) = &x.held_stage {
                let _ = writeln!(
                    o,
                    "\n- `{}`: {} `{h}` {}",
                    x.path_id,
                    l("Phase", "stage"),
                    l("zurückgehalten, nicht gesendet", "held back, not sent")
                );
            }
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "## {}\n",
        l("Was den Knoten nie verlässt", "What never leaves the node")
    );
    let _ = writeln!(o, "{}", l(
        "Die Antworten des Selbsttests und ihre Historie, das Inventar, die Migrationspfade mit Notizen und Daten (außer der Phase angebotener Pfade, s. o.), die Kontaktkarte vor einem beiderseitigen Ja und alle übrigen lokalen Daten. \
Name und genaue Einwohner- bzw. Beschäftigtenzahl verlässt der Knoten nicht, der Aggregator kennt sie aber aus der Aufnahme (s. o.).",
        "The self-test answers and their history, the inventory, the migration paths with notes and dates (except the stage of offered paths, see above), the contact card before a double yes, and all other local data. \
The node never sends the name and the exact population or staff count, but the aggregator knows them from enrolment (see above)."));
    Ok(o)
}

mod secure;

#[cfg(test)]
mod tests;
