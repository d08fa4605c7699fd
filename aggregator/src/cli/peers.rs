//! `peers`: the operator's overview of peer matching. Names no administration.

use super::context::Output;
use crate::aggregator::Aggregator;

/// Runs `peers`.
pub fn run(agg: &Aggregator, out: Output) -> anyhow::Result<()> {
    let lang = out.lang;
    let o = agg.peers().overview();
    if out.json {
        println!("{}", serde_json::to_string_pretty(&o)?);
        return Ok(());
    }
    println!(
        "{}",
        lang.pick(
            "Angebote je Migrationspfad und Phase:",
            "Offers per migration path and stage:"
        )
    );
    if o.offers.is_empty() {
        println!("    {}", lang.pick("keine", "none"));
    }
    for (path, stages) in &o.offers {
        let total: usize = stages.values().sum();
        let parts: Vec<String> = stages
            .iter()
            .map(|(s, n)| format!("{} {n}", sovbench_core::paths::stage_label(s, lang)))
            .collect();
        println!("    {path:<48} {total:>5}  ({})", parts.join(", "));
    }
    println!(
        "{}: {} {}, {} {}, {} {}, {} {}",
        lang.pick("Kontaktanfragen", "Contact requests"),
        o.pending,
        lang.pick("offen", "open"),
        o.accepted,
        lang.pick("angenommen", "accepted"),
        o.declined,
        lang.pick("abgelehnt", "declined"),
        o.closed,
        lang.pick("geschlossen", "closed")
    );
    Ok(())
}
