//! `sovbench-node peers`: peer matching with double opt-in.

use std::path::PathBuf;
use std::str::FromStr as _;

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;
use sovbench_core::cohort::Kind;
use sovbench_core::i18n::Lang;
use sovbench_core::paths::stage_label;
use sovbench_core::pb;
use sovbench_core::peers::{reason_text, ContactCard};
use sovbench_core::time::format_utc;

use crate::node::Node;
use crate::peers::{PathMatches, RequestsView};
use sovbench_core::paths::path_by_id;

/// Peer matching actions. Without an action: the best matches for every offered path.
#[derive(Debug, Subcommand)]
pub enum PeersAction {
    /// Make the administration findable for one migration path (explicit consent, per path).
    ///
    /// PATH is a migration id (`sovbench-node migration list`) or a catalogue path id
    /// (path.<category>.<product>). The aggregator learns that you offer this path, your stage
    /// and the cohort attributes of your enrolment; other administrations see only a pseudonym
    /// that differs per path and per viewer. The contact card stays on this node until both sides
    /// have said yes. Offering again updates the stage and, if given, the card.
    Offer {
        /// Migration id or catalogue path id.
        path: String,
        /// TOML file with the card: organisation, name, email, phone, note.
        #[arg(long, value_name = "FILE")]
        card: Option<PathBuf>,
        /// Organisation (e.g. "Stadt Musterstadt, Amt für Digitalisierung").
        #[arg(long)]
        organisation: Option<String>,
        /// Contact person or function.
        #[arg(long)]
        name: Option<String>,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Telephone number.
        #[arg(long)]
        phone: Option<String>,
        /// A note for the peer (what you would like to share or learn).
        #[arg(long)]
        note: Option<String>,
    },
    /// The administration's own offers and their contact cards.
    Offers,
    /// Ask a listed peer for contact (it sees the request and may accept or decline).
    Contact {
        /// The pseudonym from `sovbench-node peers`.
        pseudonym: String,
        /// Your path under which the peer was listed (default: from the last match list).
        #[arg(long)]
        path: Option<String>,
    },
    /// Incoming and outgoing contact requests, with the contact cards exchanged so far.
    ///
    /// Also hands over your card for requests the other side has accepted. A declined request
    /// shows as "no answer yet": a requester never learns of a decline.
    Requests,
    /// Accept an incoming request: your card goes to the requester, and theirs to you.
    Accept {
        /// Request id from `sovbench-node peers requests`.
        request_id: String,
    },
    /// Decline an incoming request. The requester keeps seeing "no answer yet".
    Decline {
        /// Request id from `sovbench-node peers requests`.
        request_id: String,
    },
    /// Withdraw the offer of a path: you vanish from every match list at once, and unanswered
    /// requests on it are closed.
    Withdraw {
        /// Migration id or catalogue path id.
        path: String,
    },
}

fn path_label(id: &str, lang: Lang) -> String {
    match path_by_id(id) {
        Some(p) => lang.pick(&p.label_de, &p.label_en).to_string(),
        None => id.to_string(),
    }
}

fn kind_label(key: &str, lang: Lang) -> String {
    Kind::from_str(key)
        .map(|k| k.label(lang).to_string())
        .unwrap_or_else(|_| key.to_string())
}

fn reason_label(key: &str, lang: Lang) -> String {
    let name = format!("SCORE_REASON_{}", key.to_ascii_uppercase());
    pb::ScoreReason::from_str_name(&name)
        .map(|r| reason_text(r, lang).to_string())
        .unwrap_or_else(|| key.to_string())
}

fn status_label(key: &str, lang: Lang) -> &'static str {
    match key {
        "accepted" => lang.pick("angenommen", "accepted"),
        "declined" => lang.pick("abgelehnt", "declined"),
        _ => lang.pick("noch keine Antwort", "no answer yet"),
    }
}

fn read_card(
    file: Option<PathBuf>,
    fields: [Option<String>; 5],
) -> anyhow::Result<Option<ContactCard>> {
    let mut card = match &file {
        Some(f) => {
            let text =
                std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            Some(
                toml::from_str::<ContactCard>(&text)
                    .with_context(|| format!("{}: not a contact card", f.display()))?,
            )
        }
        None => None,
    };
    let [organisation, name, email, phone, note] = fields;
    if [&organisation, &name, &email, &phone, &note]
        .iter()
        .any(|f| f.is_some())
    {
        let c = card.get_or_insert_with(ContactCard::default);
        let set = |slot: &mut String, v: Option<String>| {
            if let Some(v) = v {
                *slot = v.trim().to_string();
            }
        };
        set(&mut c.organisation, organisation);
        set(&mut c.name, name);
        set(&mut c.email, email);
        set(&mut c.phone, phone);
        set(&mut c.note, note);
    }
    Ok(card)
}

fn print_card(card: &ContactCard, lang: Lang, indent: &str) {
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
            println!("{indent}{label:<13} {value}");
        }
    }
}

/// Runs `sovbench-node peers [ACTION]`.
pub async fn peers(
    node: &Node,
    action: Option<PeersAction>,
    limit: u32,
    lang: Lang,
    json_out: bool,
) -> anyhow::Result<()> {
    match action {
        None => {
            let offers = node.local_peer_offers()?;
            if offers.is_empty() {
                if json_out {
                    println!("{}", json!({"paths": []}));
                } else {
                    println!(
                        "{}",
                        lang.pick(
                            "Sie bieten noch keinen Migrationspfad an. Mit `sovbench-node peers offer PFAD --name … --email …` werden Sie für diesen Pfad auffindbar.",
                            "You do not offer any migration path yet. `sovbench-node peers offer PATH --name … --email …` makes you findable for that path."
                        )
                    );
                }
                return Ok(());
            }
            let lists = node.peer_matches(limit).await?;
            let requests = node.peer_requests().await?;
            if json_out {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"paths": lists, "requests": requests}))?
                );
            } else {
                print_matches(&lists, lang);
                print_pending_summary(&requests, lang);
            }
        }
        Some(PeersAction::Offer {
            path,
            card,
            organisation,
            name,
            email,
            phone,
            note,
        }) => {
            let card = read_card(card, [organisation, name, email, phone, note])?;
            let r = node.peer_offer(&path, card).await?;
            if json_out {
                println!("{}", json!({"offered": r}));
            } else {
                println!(
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
                println!(
                    "{}",
                    lang.pick(
                        "Andere Verwaltungen sehen Sie nur unter einem Pseudonym; Ihre Kontaktkarte geht erst nach beiderseitiger Zustimmung hinaus. Rückzug jederzeit mit `sovbench-node peers withdraw`.",
                        "Other administrations see you only under a pseudonym; your contact card leaves only after both sides said yes. Withdraw at any time with `sovbench-node peers withdraw`."
                    )
                );
            }
        }
        Some(PeersAction::Offers) => {
            let offers = node.local_peer_offers()?;
            if json_out {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"offers": offers}))?
                );
            } else if offers.is_empty() {
                println!("{}", lang.pick("Keine Angebote.", "No offers."));
            } else {
                for o in offers {
                    println!(
                        "{} ({}, {}: {}, {} {})",
                        path_label(&o.path_id, lang),
                        o.migration_id,
                        lang.pick("Phase", "stage"),
                        stage_label(&o.stage, lang),
                        lang.pick("seit", "since"),
                        format_utc(o.offered_at)
                    );
                    print_card(&o.card, lang, "    ");
                }
            }
        }
        Some(PeersAction::Contact { pseudonym, path }) => {
            let id = node.peer_contact(&pseudonym, path.as_deref()).await?;
            if json_out {
                println!("{}", json!({"request_id": id}));
            } else {
                println!(
                    "{} {id}. {}",
                    lang.pick("Kontaktanfrage gestellt:", "Contact request sent:"),
                    lang.pick(
                        "Die Antwort erscheint in `sovbench-node peers requests`; bis dahin (und auch nach einer Ablehnung) steht dort „noch keine Antwort“.",
                        "The answer appears in `sovbench-node peers requests`; until then (and after a decline too) it shows “no answer yet”."
                    )
                );
            }
        }
        Some(PeersAction::Requests) => {
            let view = node.peer_requests().await?;
            if json_out {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print_requests(&view, lang);
            }
        }
        Some(PeersAction::Accept { request_id }) => {
            node.peer_answer(request_id.trim(), true).await?;
            // Fetch again so that a card that is already there is opened and shown.
            let view = node.peer_requests().await?;
            if json_out {
                println!("{}", json!({"accepted": request_id, "requests": view}));
            } else {
                println!(
                    "{} {request_id}. {}",
                    lang.pick("Angenommen:", "Accepted:"),
                    lang.pick(
                        "Ihre Kontaktkarte ist verschlüsselt unterwegs; die Karte der Gegenseite erscheint in `sovbench-node peers requests`, sobald deren Knoten sie übergibt.",
                        "Your contact card is on its way, encrypted; the other side's card appears in `sovbench-node peers requests` once their node hands it over."
                    )
                );
            }
        }
        Some(PeersAction::Decline { request_id }) => {
            node.peer_answer(request_id.trim(), false).await?;
            if json_out {
                println!("{}", json!({"declined": request_id}));
            } else {
                println!(
                    "{} {request_id}. {}",
                    lang.pick("Abgelehnt:", "Declined:"),
                    lang.pick(
                        "Die anfragende Verwaltung sieht weiterhin nur „noch keine Antwort“.",
                        "The requesting administration keeps seeing only “no answer yet”."
                    )
                );
            }
        }
        Some(PeersAction::Withdraw { path }) => {
            let id = node.peer_withdraw(&path).await?;
            if json_out {
                println!("{}", json!({"withdrawn": id}));
            } else {
                println!(
                    "{} {}. {}",
                    lang.pick("Zurückgezogen:", "Withdrawn:"),
                    path_label(&id, lang),
                    lang.pick(
                        "Sie erscheinen in keiner Trefferliste mehr; offene Anfragen dazu sind geschlossen.",
                        "You no longer appear in any match list; open requests on it are closed."
                    )
                );
            }
        }
    }
    Ok(())
}

/// Prints match lists with their explained scores.
pub fn print_matches(lists: &[PathMatches], lang: Lang) {
    let any = lists.iter().any(|l| !l.matches.is_empty());
    for l in lists {
        println!(
            "{} — {}: {} — {} {}",
            path_label(&l.path_id, lang),
            lang.pick("Ihre Phase", "your stage"),
            stage_label(&l.stage, lang),
            l.candidates,
            lang.pick("Kandidaten", "candidates")
        );
        if let Some(p) = &l.problem {
            println!("    {}: {p}", lang.pick("Nicht verfügbar", "Not available"));
            continue;
        }
        if l.matches.is_empty() {
            println!(
                "    {}",
                lang.pick(
                    "Noch niemand sonst bietet diesen oder einen verwandten Pfad an.",
                    "Nobody else offers this or a related path yet."
                )
            );
            continue;
        }
        println!(
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
            println!(
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
        return;
    }
    println!(
        "{}",
        lang.pick(
            "Punkte: gleicher Pfad +10, gleiche Art +3, gleiche/benachbarte Größenklasse +2/+1, weiter fortgeschritten +2, gleiche Phase +1 (docs/PEERS.md). Kontakt anfragen: `sovbench-node peers contact PSEUDONYM`.",
            "Score: same path +10, same kind +3, same/neighbouring size class +2/+1, further along +2, same stage +1 (docs/PEERS.md). Ask for contact: `sovbench-node peers contact PSEUDONYM`."
        )
    );
}

fn print_pending_summary(view: &RequestsView, lang: Lang) {
    let open = view
        .incoming
        .iter()
        .filter(|i| i.status == "no_answer_yet")
        .count();
    if open > 0 {
        println!(
            "{open} {}",
            lang.pick(
                "Kontaktanfrage(n) warten auf Ihre Antwort: `sovbench-node peers requests`.",
                "contact request(s) await your answer: `sovbench-node peers requests`."
            )
        );
    }
}

fn print_requests(view: &RequestsView, lang: Lang) {
    println!("{}", lang.pick("Eingehende Anfragen", "Incoming requests"));
    if view.incoming.is_empty() {
        println!("    {}", lang.pick("keine", "none"));
    }
    for i in &view.incoming {
        println!(
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
            print_card(c, lang, "        ");
        }
        if let Some(p) = &i.problem {
            println!("        {}: {p}", lang.pick("Problem", "Problem"));
        }
    }
    println!("{}", lang.pick("Ausgehende Anfragen", "Outgoing requests"));
    if view.outgoing.is_empty() {
        println!("    {}", lang.pick("keine", "none"));
    }
    for o in &view.outgoing {
        println!(
            "    {}  {} {} — {} — {} — {}",
            o.request_id,
            lang.pick("an", "to"),
            o.pseudonym,
            path_label(&o.target_path_id, lang),
            format_utc(o.requested_at),
            status_label(&o.status, lang)
        );
        if let Some(c) = &o.card {
            print_card(c, lang, "        ");
        }
        if let Some(p) = &o.problem {
            println!("        {}: {p}", lang.pick("Problem", "Problem"));
        }
    }
    if view.incoming.iter().any(|i| i.status == "no_answer_yet") {
        println!(
            "{}",
            lang.pick(
                "Antworten: `sovbench-node peers accept ID` oder `sovbench-node peers decline ID`.",
                "Answer: `sovbench-node peers accept ID` or `sovbench-node peers decline ID`."
            )
        );
    }
}
