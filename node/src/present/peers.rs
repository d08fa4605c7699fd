//! The text of peer matching: match lists with explained scores, contact requests with the cards
//! exchanged, and the labels they use.

use std::fmt::Write as _;
use std::str::FromStr as _;

use sovbench_core::cohort::Kind;
use sovbench_core::i18n::Lang;
use sovbench_core::paths::{path_by_id, stage_label};
use sovbench_core::pb;
use sovbench_core::peers::{reason_text, ContactCard};
use sovbench_core::time::format_utc;

use crate::peers::{
    LocalOffer, OfferReport, PathMatches, RequestsView, StageSent, StageSharing, WithdrawReport,
};

/// The label of a catalogue path, or its id.
pub fn path_label(id: &str, lang: Lang) -> String {
    match path_by_id(id) {
        Some(p) => lang.pick(&p.label_de, &p.label_en).to_string(),
        None => id.to_string(),
    }
}

/// The label of a kind of administration, or its key.
pub fn kind_label(key: &str, lang: Lang) -> String {
    Kind::from_str(key)
        .map(|k| k.label(lang).to_string())
        .unwrap_or_else(|_| key.to_string())
}

/// The text of a score reason, or its key.
pub fn reason_label(key: &str, lang: Lang) -> String {
    let name = format!("SCORE_REASON_{}", key.to_ascii_uppercase());
    pb::ScoreReason::from_str_name(&name)
        .map(|r| reason_text(r, lang).to_string())
        .unwrap_or_else(|| key.to_string())
}

/// The text of a request status.
pub fn status_label(key: &str, lang: Lang) -> &'static str {
    match key {
        "accepted" => lang.pick("angenommen", "accepted"),
        "declined" => lang.pick("abgelehnt", "declined"),
        _ => lang.pick("noch keine Antwort", "no answer yet"),
    }
}

/// A contact card, one line per filled field.
pub fn card(card: &ContactCard, lang: Lang, indent: &str) -> String {
    let mut o = String::new();
    let rows = [
        (
            lang.pick("Organisation", "Organisation"),
            &card.organisation,
        ),
        (lang.pick("Kontakt", "Contact"), &card.name),
        (lang.pick("E-Mail", "E-mail"), &card.email),
        (lang.pick("Telefon", "Phone"), &card.phone),
        (lang.pick("Notiz", "Note"), &card.note),
    ];
    for (label, value) in rows {
        if !value.trim().is_empty() {
            let _ = writeln!(o, "{indent}{label:<13} {value}");
        }
    }
    o
}

/// Match lists with their explained scores.
pub fn matches(lists: &[PathMatches], lang: Lang) -> String {
    let mut o = String::new();
    let any = lists.iter().any(|l| !l.matches.is_empty());
    for l in lists {
        let _ = writeln!(
            o,
            "{} — {}: {} — {} {}",
            path_label(&l.path_id, lang),
            lang.pick("Ihre Phase", "your stage"),
            stage_label(&l.stage, lang),
            l.candidates,
            lang.pick("Kandidaten", "candidates")
        );
        if let Some(p) = &l.problem {
            let _ = writeln!(
                o,
                "    {}: {p}",
                lang.pick("Nicht verfügbar", "Not available")
            );
            continue;
        }
        if l.matches.is_empty() {
            let _ = writeln!(
                o,
                "    {}",
                lang.pick(
                    "Noch niemand sonst bietet diesen oder einen verwandten Pfad an.",
                    "Nobody else offers this or a related path yet."
                )
            );
            continue;
        }
        let _ = writeln!(
            o,
            "    {:<17} {:<14} {:<26} {:<13} {:>6}  {}",
            "Pseudonym",
            lang.pick("Phase", "Stage"),
            lang.pick("Art", "Kind"),
            lang.pick("Größe", "Size"),
            lang.pick("Punkte", "Score"),
            lang.pick("Begründung", "Why")
        );
        for m in &l.matches {
            let why = m
                .parts
                .iter()
                .map(|(r, p)| format!("{} +{p}", reason_label(r, lang)))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                o,
                "    {:<17} {:<14} {:<26} {:<13} {:>6}  {}{}{}",
                m.pseudonym,
                stage_label(&m.stage, lang),
                kind_label(&m.kind, lang),
                m.size_class,
                m.score,
                why,
                if m.same_path {
                    String::new()
                } else {
                    format!(
                        " [{}: {}]",
                        lang.pick("anderer Pfad", "other path"),
                        path_by_id(&m.path_id).map(|p| p.product).unwrap_or("?")
                    )
                },
                if m.requested {
                    lang.pick(" (angefragt)", " (requested)")
                } else {
                    ""
                }
            );
        }
    }
    if !any {
        return o;
    }
    let _ = writeln!(o,
        "{}",
        lang.pick(
            "Punkte: gleicher Pfad +10, gleiche Art +3, gleiche/benachbarte Größenklasse +2/+1, weiter fortgeschritten +2, gleiche Phase +1 (docs/PEERS.md). Kontakt anfragen: `sovbench-node peers contact PSEUDONYM`.",
            "Score: same path +10, same kind +3, same/neighbouring size class +2/+1, further along +2, same stage +1 (docs/PEERS.md). Ask for contact: `sovbench-node peers contact PSEUDONYM`."
        )
    );
    o
}

/// How many incoming requests wait for an answer (nothing if none).
pub fn pending_summary(view: &RequestsView, lang: Lang) -> String {
    let mut o = String::new();
    let open = view
        .incoming
        .iter()
        .filter(|i| i.status == "no_answer_yet")
        .count();
    if open > 0 {
        let _ = writeln!(
            o,
            "{open} {}",
            lang.pick(
                "Kontaktanfrage(n) warten auf Ihre Antwort: `sovbench-node peers requests`.",
                "contact request(s) await your answer: `sovbench-node peers requests`."
            )
        );
    }
    o
}

/// Incoming and outgoing requests with the cards exchanged so far.
pub fn requests(view: &RequestsView, lang: Lang) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}",
        lang.pick("Eingehende Anfragen", "Incoming requests")
    );
    if view.incoming.is_empty() {
        let _ = writeln!(o, "    {}", lang.pick("keine", "none"));
    }
    for i in &view.incoming {
        let _ = writeln!(
            o,
            "    {}  {} {} — {}: {}, {}, {} — {} — {}",
            i.request_id,
            lang.pick("von", "from"),
            i.pseudonym,
            path_label(&i.requester_path_id, lang),
            stage_label(&i.stage, lang),
            kind_label(&i.kind, lang),
            i.size_class,
            format_utc(i.requested_at),
            status_label(&i.status, lang)
        );
        if let Some(c) = &i.card {
            o.push_str(&card(c, lang, "        "));
        }
        if let Some(p) = &i.problem {
            let _ = writeln!(o, "        {}: {p}", lang.pick("Problem", "Problem"));
        }
    }
    let _ = writeln!(
        o,
        "{}",
        lang.pick("Ausgehende Anfragen", "Outgoing requests")
    );
    if view.outgoing.is_empty() {
        let _ = writeln!(o, "    {}", lang.pick("keine", "none"));
    }
    for r in &view.outgoing {
        let _ = writeln!(
            o,
            "    {}  {} {} — {} — {} — {}",
            r.request_id,
            lang.pick("an", "to"),
            r.pseudonym,
            path_label(&r.target_path_id, lang),
            format_utc(r.requested_at),
            status_label(&r.status, lang)
        );
        if let Some(c) = &r.card {
            o.push_str(&card(c, lang, "        "));
        }
        if let Some(p) = &r.problem {
            let _ = writeln!(o, "        {}: {p}", lang.pick("Problem", "Problem"));
        }
    }
    if view.incoming.iter().any(|i| i.status == "no_answer_yet") {
        let _ =
            writeln!(o,
            "{}",
            lang.pick(
                "Antworten: `sovbench-node peers accept ID` oder `sovbench-node peers decline ID`.",
                "Answer: `sovbench-node peers accept ID` or `sovbench-node peers decline ID`."
            )
        );
    }
    o
}

/// The hint when the administration offers no path yet.
pub fn no_offers(lang: Lang) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}",
        lang.pick(
            "Sie bieten noch keinen Migrationspfad an. Mit `sovbench-node peers offer PFAD --name … --email …` werden Sie für diesen Pfad auffindbar.",
            "You do not offer any migration path yet. `sovbench-node peers offer PATH --name … --email …` makes you findable for that path."
        )
    );
    o
}

/// What an offer did, and what it means.
pub fn offered(r: &OfferReport, lang: Lang) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} {} ({}: {})",
        if r.updated {
            lang.pick("Angebot aktualisiert:", "Offer updated:")
        } else {
            lang.pick("Angeboten:", "Offered:")
        },
        path_label(&r.path_id, lang),
        lang.pick("Phase", "stage"),
        stage_label(&r.stage, lang)
    );
    let _ = writeln!(o, "{}.", sharing_label(r.share_stage_changes, lang));
    let _ = writeln!(
        o,
        "{}",
        lang.pick(
            "Andere Verwaltungen sehen Sie nur unter einem Pseudonym; Ihre Kontaktkarte geht erst nach beiderseitiger Zustimmung hinaus. Rückzug jederzeit mit `sovbench-node peers withdraw`.",
            "Other administrations see you only under a pseudonym; your contact card leaves only after both sides said yes. Withdraw at any time with `sovbench-node peers withdraw`."
        )
    );
    o
}

fn sharing_label(s: StageSharing, lang: Lang) -> &'static str {
    match s {
        StageSharing::Ask => lang.pick(
            "Stufenänderungen erst nach Bestätigung senden (`peers confirm`)",
            "send stage changes only once confirmed (`peers confirm`)",
        ),
        StageSharing::Always => lang.pick(
            "Stufenänderungen automatisch senden",
            "send stage changes automatically",
        ),
        StageSharing::Never => lang.pick("Stufenänderungen nie senden", "never send stage changes"),
    }
}

/// The line naming withdrawals the aggregator has not acknowledged (nothing if none).
pub fn withdrawals_pending(paths: &[String], lang: Lang) -> String {
    let mut o = String::new();
    for p in paths {
        let _ = writeln!(
            o,
            "{}: {} — {}",
            lang.pick("Rücknahme ausstehend", "Withdrawal pending"),
            path_label(p, lang),
            lang.pick(
                "noch nicht vom Aggregator bestätigt; das Angebot kann bis dahin noch gelistet sein. `serve` und jeder weitere Befehl mit dem Aggregator senden sie erneut.",
                "not yet acknowledged by the aggregator; until then the offer may still be listed. `serve` and every later command that talks to the aggregator send it again."
            )
        );
    }
    o
}

/// The administration's own offers with their cards, held stage changes, pending withdrawals
/// and the stages sent for each.
pub fn offers(offers: &[LocalOffer], sent: &[StageSent], lang: Lang) -> String {
    let mut o = String::new();
    if offers.is_empty() {
        let _ = writeln!(o, "{}", lang.pick("Keine Angebote.", "No offers."));
    }
    for x in offers {
        if x.withdrawing {
            o.push_str(&withdrawals_pending(std::slice::from_ref(&x.path_id), lang));
            continue;
        }
        let _ = writeln!(
            o,
            "{} ({}, {}: {}, {} {})",
            path_label(&x.path_id, lang),
            x.migration_id,
            lang.pick("Phase", "stage"),
            stage_label(&x.stage, lang),
            lang.pick("seit", "since"),
            format_utc(x.offered_at)
        );
        let _ = writeln!(o, "    {}", sharing_label(x.share_stage_changes, lang));
        if let Some(h) = &x.held_stage {
            let _ = writeln!(
                o,
                "    {}: {} → {} ({})",
                lang.pick("Stufenänderung zurückgehalten", "Stage change held back"),
                stage_label(&x.stage, lang),
                stage_label(h, lang),
                if x.share_stage_changes == StageSharing::Never {
                    lang.pick(
                        "wird nicht gesendet; `peers offer` erneut, um sie zu senden",
                        "not sent; `peers offer` again to send it",
                    )
                } else {
                    lang.pick(
                        "senden mit `sovbench-node peers confirm PFAD`",
                        "send with `sovbench-node peers confirm PATH`",
                    )
                }
            );
        }
        o.push_str(&card(&x.card, lang, "    "));
    }
    if !sent.is_empty() {
        let _ = writeln!(
            o,
            "{}",
            lang.pick(
                "Gesendete Stufen (was der Aggregator erfahren hat):",
                "Stages sent (what the aggregator learnt):"
            )
        );
        for e in sent {
            let _ = writeln!(
                o,
                "    {}  {}  {}  ({}{})",
                format_utc(e.sent_at),
                path_label(&e.path_id, lang),
                stage_label(&e.stage, lang),
                e.why,
                if e.acknowledged {
                    ""
                } else {
                    lang.pick(", unbestätigt", ", unacknowledged")
                }
            );
        }
    }
    o
}

/// A contact request sent.
pub fn contact_sent(request_id: &str, lang: Lang) -> String {
    format!(
        "{} {request_id}. {}\n",
        lang.pick("Kontaktanfrage gestellt:", "Contact request sent:"),
        lang.pick(
            "Die Antwort erscheint in `sovbench-node peers requests`; bis dahin (und auch nach einer Ablehnung) steht dort „noch keine Antwort“.",
            "The answer appears in `sovbench-node peers requests`; until then (and after a decline too) it shows “no answer yet”."
        )
    )
}

/// An incoming request accepted or declined.
pub fn answered(request_id: &str, accepted: bool, lang: Lang) -> String {
    let (what, meaning) = if accepted {
        (
            lang.pick("Angenommen:", "Accepted:"),
            lang.pick(
                "Ihre Kontaktkarte ist verschlüsselt unterwegs; die Karte der Gegenseite erscheint in `sovbench-node peers requests`, sobald deren Knoten sie übergibt.",
                "Your contact card is on its way, encrypted; the other side's card appears in `sovbench-node peers requests` once their node hands it over."
            ),
        )
    } else {
        (
            lang.pick("Abgelehnt:", "Declined:"),
            lang.pick(
                "Die anfragende Verwaltung sieht weiterhin nur „noch keine Antwort“.",
                "The requesting administration keeps seeing only “no answer yet”.",
            ),
        )
    };
    format!("{what} {request_id}. {meaning}\n")
}

/// An offer withdrawn, or its withdrawal pending.
pub fn withdrawn(r: &WithdrawReport, lang: Lang) -> String {
    if r.pending {
        return format!(
            "{}{}\n",
            withdrawals_pending(std::slice::from_ref(&r.path_id), lang),
            r.detail.as_deref().unwrap_or("")
        );
    }
    format!(
        "{} {}. {}\n",
        lang.pick("Zurückgezogen:", "Withdrawn:"),
        path_label(&r.path_id, lang),
        lang.pick(
            "Sie erscheinen in keiner Trefferliste mehr; offene Anfragen dazu sind geschlossen.",
            "You no longer appear in any match list; open requests on it are closed."
        )
    )
}
