//! A seeded, plausible population of German administrations with true self-test answers.
//!
//! Calibration from the report (`../shared/seed/`): 54% of municipalities have no realistic exit
//! strategy (Governance & Exit-Strategie scored 1-2 by about half), more than 60% use US clouds
//! (Datenhoheit low for most), over 70% have no interfaces of their own (Offene Standards low),
//! fewer than 10% use open-source office software productively. Scores follow a latent
//! "sovereignty" factor per administration, shifted by kind and size, plus per-dimension noise.
//! The same seed gives the same population.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sovbench_core::cohort::{Kind, SizeClass, BUNDESLAENDER};
use sovbench_core::selftest::Assessment;
use sovbench_node::inventory::alternatives;
use sovbench_node::inventory::io::parse_csv;
use sovbench_node::inventory::Category;
use sovbench_node::inventory::{
    ExitScenario, ExitStatus, Hosting, Jurisdiction, Licence, System, DEFAULT_COST_PER_WORKPLACE,
};
use sovbench_node::migration::{new_id, MigrationPath, Stage, StageChange};

/// One simulated administration with its true answers.
#[derive(Debug, Clone)]
pub struct Administration {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: Kind,
    /// Bundesland code.
    pub state: String,
    /// Population or staff count.
    pub size: u64,
    /// True self-test.
    pub assessment: Assessment,
    /// Latent sovereignty (standard normal, shifted by kind and size); drives the inventory.
    pub latent: f64,
}

impl Administration {
    /// Size class.
    pub fn size_class(&self) -> SizeClass {
        SizeClass::classify(self.kind, self.size)
    }
}

/// Share of each kind in a typical consortium.
const KINDS: [(Kind, f64); 6] = [
    (Kind::Gemeinde, 0.55),
    (Kind::Stadt, 0.25),
    (Kind::Landkreis, 0.12),
    (Kind::ItDienstleister, 0.04),
    (Kind::Land, 0.02),
    (Kind::Bund, 0.02),
];

/// Rough weights of the Länder (number of municipalities, flattened so that the city states
/// still appear).
const STATE_WEIGHTS: [f64; 16] = [
    11.0, 20.0, 1.0, 4.0, 0.5, 0.5, 4.2, 7.0, 9.4, 4.0, 23.0, 0.5, 4.2, 2.2, 11.0, 6.0,
];

/// Mean score of each dimension before the latent factor (report order).
const BASE: [f64; 5] = [2.5, 2.1, 2.7, 2.3, 2.0];

/// Generates `n` administrations from `seed`.
pub fn generate(n: usize, seed: u64) -> Vec<Administration> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|i| one(&mut rng, i)).collect()
}

fn one(rng: &mut ChaCha8Rng, i: usize) -> Administration {
    let kind = pick(rng, &KINDS.map(|(_, w)| w)).map_or(Kind::Gemeinde, |k| KINDS[k].0);
    let state = BUNDESLAENDER[pick(rng, &STATE_WEIGHTS).unwrap_or(9)]
        .0
        .to_string();
    let (median, spread) = match kind {
        Kind::Gemeinde => (4_000.0, 0.9),
        Kind::Stadt => (35_000.0, 0.9),
        Kind::Landkreis => (160_000.0, 0.5),
        Kind::Land => (4_000_000.0, 0.8),
        Kind::Bund => (2_000.0, 0.9),
        Kind::ItDienstleister => (450.0, 0.8),
    };
    let size = (median * (spread * normal(rng)).exp()).round().max(50.0) as u64;
    let shift = match kind {
        Kind::Gemeinde => -0.25,
        Kind::Stadt => 0.0,
        Kind::Landkreis => 0.1,
        Kind::Land => 0.35,
        Kind::Bund => 0.2,
        Kind::ItDienstleister => 0.6,
    } + if size > 100_000 && kind.is_territorial() {
        0.2
    } else {
        0.0
    };
    let latent = normal(rng) * 0.75 + shift;
    let mut scores = [0i64; 5];
    for (d, s) in scores.iter_mut().enumerate() {
        let v = BASE[d] + latent + 0.8 * normal(rng);
        *s = v.round().clamp(1.0, 5.0) as i64;
    }
    let assessment = Assessment::from_scores(scores).unwrap_or_else(|_| {
        // Unreachable: every score was clamped into 1..=5 above.
        Assessment::from_scores([1; 5]).unwrap_or_else(|_| unreachable!())
    });
    let label = match kind {
        Kind::Gemeinde => "Gemeinde",
        Kind::Stadt => "Stadt",
        Kind::Landkreis => "Landkreis",
        Kind::Land => "Landesverwaltung",
        Kind::Bund => "Bundesbehörde",
        Kind::ItDienstleister => "IT-Dienstleister",
    };
    Administration {
        name: format!("{label} Sim-{i:05}"),
        kind,
        state,
        size,
        assessment,
        latent,
    }
}

/// The sample inventory of `docs/samples/inventar.csv` (60 systems of a mid-sized town).
pub fn sample_inventory() -> Vec<System> {
    // The sample is part of the build and covered by tests; an error here is a build defect.
    parse_csv(include_str!("../../docs/samples/inventar.csv")).unwrap_or_default()
}

/// An inventory for a simulated administration: the sample as a template, with systems dropped,
/// moved to EU hosting, given exit clauses and exit scenarios more often the more sovereign the
/// administration is. Seeded by the administration's index.
pub fn inventory_for(a: &Administration, index: usize, seed: u64) -> Vec<System> {
    let mut rng =
        ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_1a7e ^ (index as u64).wrapping_mul(0x9e37_79b9));
    let sov = 1.0 / (1.0 + (-a.latent).exp());
    let scale = match a.kind {
        Kind::Gemeinde => 0.2,
        Kind::Stadt => 1.0,
        Kind::Landkreis => 1.5,
        _ => 2.0,
    };
    let mut out = Vec::new();
    for mut s in sample_inventory() {
        if !rng.gen_bool(0.85) {
            continue;
        }
        if s.jurisdiction != Jurisdiction::EuEea && rng.gen_bool(0.5 * sov) {
            s.jurisdiction = Jurisdiction::EuEea;
            s.hosting = Hosting::PublicProvider;
            if let Some(alt) = alternatives::for_category(s.category, &[]).first() {
                s.product = alt.product.clone();
                s.licence = Licence::OpenSource;
                s.formats.push("ODF".into());
            }
        }
        if !s.exit_clause && rng.gen_bool(0.4 * sov) {
            s.exit_clause = true;
        }
        if s.exit.is_none() && rng.gen_bool(0.1 + 0.4 * sov) {
            s.exit = Some(ExitScenario {
                alternatives: alternatives::for_category(s.category, &[])
                    .into_iter()
                    .map(|x| x.product)
                    .take(2)
                    .collect(),
                switch_months: rng.gen_range(3..=18),
                export_formats: s.formats.clone(),
                cost_per_workplace: DEFAULT_COST_PER_WORKPLACE,
                status: if rng.gen_bool(0.3) {
                    ExitStatus::Abgestimmt
                } else {
                    ExitStatus::Entwurf
                },
            });
        }
        s.users = ((f64::from(s.users) * scale).round() as u32).max(u32::from(s.users > 0));
        out.push(s);
    }
    out
}

/// Typical migrations of the simulated administrations: (category, from, to).
const MIGRATIONS: &[(Category, &str, &str)] = &[
    (
        Category::Videokonferenzen,
        "Microsoft Teams",
        "BigBlueButton",
    ),
    (Category::Videokonferenzen, "Zoom", "Alfaview"),
    (Category::EmailKalender, "Exchange Online", "Open-Xchange"),
    (Category::CloudSpeicher, "SharePoint Online", "Nextcloud"),
    (Category::Textverarbeitung, "Microsoft Word", "LibreOffice"),
    (
        Category::KollaborationChat,
        "Microsoft Teams Chat",
        "Element (Matrix)",
    ),
    (
        Category::Projektmanagement,
        "Microsoft Planner",
        "MeisterTask",
    ),
];

/// Migration paths of a simulated administration: up to three, more likely the more sovereign it
/// is; stages drawn so that about 40% of the migrations beyond the pilot are rolled back (the
/// report: roll-back rates above 40% in large migrations). Seeded by the administration's index.
pub fn paths_for(a: &Administration, index: usize, seed: u64) -> Vec<MigrationPath> {
    let mut rng =
        ChaCha8Rng::seed_from_u64(seed ^ 0x0009_a7f5 ^ (index as u64).wrapping_mul(0x2545_f491));
    let sov = 1.0 / (1.0 + (-a.latent).exp());
    let mut out: Vec<MigrationPath> = Vec::new();
    for (cat, from, to) in MIGRATIONS {
        if !rng.gen_bool(0.1 + 0.3 * sov) || out.len() >= 3 {
            continue;
        }
        // erwogen 30%, geplant 20%, Pilot 15%, Rollout 10%, abgeschlossen 11%, zurückgerollt 14%
        let stage = match rng.gen::<f64>() {
            x if x < 0.30 => Stage::Erwogen,
            x if x < 0.50 => Stage::Geplant,
            x if x < 0.65 => Stage::Pilot,
            x if x < 0.75 => Stage::Rollout,
            x if x < 0.86 => Stage::Abgeschlossen,
            _ => Stage::Zurueckgerollt,
        };
        let id = new_id(*cat, to, &|id| out.iter().any(|p| p.id == id));
        out.push(MigrationPath {
            id,
            category: *cat,
            from_product: (*from).to_string(),
            to_product: (*to).to_string(),
            stage,
            history: vec![StageChange {
                stage,
                on: 20_000 + rng.gen_range(0..600),
                reason: None,
            }],
            workplaces: rng.gen_range(10..800),
            systems: Vec::new(),
            notes: String::new(),
        });
    }
    out
}

/// Whether administration `index` offers its catalogue paths for peer matching (a seeded draw
/// with probability `share`, independent of everything else about it).
pub fn offers_peers(index: usize, seed: u64, share: f64) -> bool {
    let mut rng =
        ChaCha8Rng::seed_from_u64(seed ^ 0x00be_e125 ^ (index as u64).wrapping_mul(0x9e37_79b9));
    rng.gen_bool(share.clamp(0.0, 1.0))
}

/// The contact card a simulated administration hands out.
pub fn card_for(a: &Administration) -> sovbench_core::peers::ContactCard {
    sovbench_core::peers::ContactCard {
        organisation: a.name.clone(),
        name: "Digitalisierungsbeauftragte".into(),
        email: format!(
            "digital@{}.example",
            sovbench_core::paths::slug(&a.name).replace('_', "-")
        ),
        phone: String::new(),
        note: "Gern Austausch zu Ausschreibung, Schulung und Betrieb.".into(),
    }
}

fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> Option<usize> {
    let total: f64 = weights.iter().sum();
    let mut x = rng.gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return Some(i);
        }
        x -= w;
    }
    weights.len().checked_sub(1)
}

/// Standard normal draw (Box-Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::selftest::Dimension;

    #[test]
    fn same_seed_same_population() {
        let a = generate(50, 7);
        let b = generate(50, 7);
        assert!(a
            .iter()
            .zip(&b)
            .all(|(x, y)| x.assessment == y.assessment && x.size == y.size));
        let c = generate(50, 8);
        assert!(a.iter().zip(&c).any(|(x, y)| x.assessment != y.assessment));
    }

    #[test]
    fn inventories_follow_the_template_and_the_latent_factor() {
        assert_eq!(sample_inventory().len(), 60);
        let pop = generate(400, 3);
        let today = sovbench_core::time::parse_date("2026-11-26").unwrap();
        let mut lo = Vec::new();
        let mut hi = Vec::new();
        for (i, a) in pop.iter().enumerate() {
            let inv = inventory_for(a, i, 3);
            assert!(inv.len() > 30 && inv.len() <= 60);
            let s = sovbench_node::inventory::summarise(&inv, today).unwrap();
            if a.latent < -0.5 {
                lo.push(s.non_eu_share)
            } else if a.latent > 0.5 {
                hi.push(s.non_eu_share)
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(
            mean(&hi) < mean(&lo),
            "more sovereign administrations depend less on non-EU vendors"
        );
        assert_eq!(inventory_for(&pop[0], 0, 3), inventory_for(&pop[0], 0, 3));
    }

    #[test]
    fn migration_paths_roll_back_about_40_percent_beyond_the_pilot() {
        let pop = generate(3_000, 4);
        let paths: Vec<MigrationPath> = pop
            .iter()
            .enumerate()
            .flat_map(|(i, a)| paths_for(a, i, 4))
            .collect();
        let beyond = paths
            .iter()
            .filter(|p| {
                matches!(
                    p.stage,
                    Stage::Rollout | Stage::Abgeschlossen | Stage::Zurueckgerollt
                )
            })
            .count() as f64;
        let back = paths
            .iter()
            .filter(|p| p.stage == Stage::Zurueckgerollt)
            .count() as f64;
        assert!(paths.len() > 1_000);
        assert!(
            (0.33..=0.47).contains(&(back / beyond)),
            "{}",
            back / beyond
        );
        assert!(
            paths.iter().all(|p| p.catalogue_item().is_some()),
            "every simulated target is in the path catalogue"
        );
    }

    #[test]
    fn calibrated_to_the_report() {
        // 5,000 administrations: the share with an exit-strategy score of 1-2 should be near the
        // report's 54% (we accept 40-70%), and Gemeinden the largest group.
        let pop = generate(5_000, 1);
        let low_exit = pop
            .iter()
            .filter(|a| a.assessment.score(Dimension::GovernanceExit) <= 2)
            .count() as f64
            / pop.len() as f64;
        assert!((0.40..=0.70).contains(&low_exit), "{low_exit}");
        let gemeinden = pop.iter().filter(|a| a.kind == Kind::Gemeinde).count();
        assert!(gemeinden > pop.len() / 2 - 200);
    }
}
