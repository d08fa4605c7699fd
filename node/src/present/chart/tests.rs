use super::*;

/// A small well-formedness check of XML (what the inline SVG must be): every tag closed in
/// order, attributes quoted, `<` never in text or attributes, `&` only as an entity. Returns the
/// element names in document order.
pub(crate) fn well_formed(xml: &str) -> Result<Vec<String>, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut rest = xml;
    let check_text = |t: &str| -> Result<(), String> {
        let mut s = t;
        while let Some(i) = s.find('&') {
            let tail = &s[i + 1..];
            let end = tail.find(';').ok_or_else(|| format!("bare & in {t:?}"))?;
            let ent = &tail[..end];
            let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos")
                || (ent.starts_with('#') && ent[1..].chars().all(|c| c.is_ascii_digit()));
            if !ok || ent.len() < 2 {
                return Err(format!("unknown entity &{ent}; in {t:?}"));
            }
            s = &tail[end + 1..];
        }
        Ok(())
    };
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open])?;
        let after = &rest[open + 1..];
        let close = after.find('>').ok_or("unclosed tag")?;
        let tag = &after[..close];
        if tag.contains('<') {
            return Err(format!("< inside tag {tag:?}"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(top) if top == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        } else {
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(format!("bad element name in {tag:?}"));
            }
            // Attributes: name="value" pairs, nothing else.
            let mut attrs = body[name.len()..].trim_start();
            while !attrs.is_empty() {
                let eq = attrs
                    .find("=\"")
                    .ok_or(format!("unquoted attribute in {tag:?}"))?;
                let aname = &attrs[..eq];
                if aname.is_empty() || aname.contains(char::is_whitespace) {
                    return Err(format!("bad attribute {aname:?} in {tag:?}"));
                }
                let v = &attrs[eq + 2..];
                let end = v
                    .find('"')
                    .ok_or(format!("unterminated value in {tag:?}"))?;
                check_text(&v[..end])?;
                attrs = v[end + 1..].trim_start();
            }
            names.push(name.clone());
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &after[close + 1..];
    }
    check_text(rest)?;
    if !rest.trim().is_empty() || !stack.is_empty() {
        return Err(format!("unclosed elements {stack:?}"));
    }
    Ok(names)
}

#[test]
fn the_checker_refuses_what_is_not_well_formed() {
    assert!(well_formed("<svg><title>a &amp; b</title><g/></svg>").is_ok());
    for bad in [
        "<svg><title>a</svg></title>",
        "<svg><g></svg>",
        "<svg>a & b</svg>",
        "<svg x=1></svg>",
        "<svg x=\"<\"></svg>",
        "<svg>",
        "<svg></svg></g>",
    ] {
        assert!(well_formed(bad).is_err(), "{bad}");
    }
}

fn score(interval: Option<(f64, f64)>, estimate: Option<f64>, own: Option<f64>) -> Position {
    Position {
        range: (1.0, 5.0),
        interval,
        estimate,
        own,
        share: false,
    }
}

#[test]
fn the_text_bar_puts_interval_estimate_and_own_value_in_place() {
    let p = score(Some((2.0, 4.0)), Some(3.0), Some(5.0));
    // 21 cells over 1..5: a cell is 0.2; 2 -> 5, 3 -> 10, 4 -> 15, 5 -> 20.
    assert_eq!(text_bar(&p, 21, Lang::De), "1 ─────[====●====]────◆ 5");
    // The own value is drawn over the interval, never hidden.
    let p = score(Some((2.0, 4.0)), Some(3.0), Some(3.0));
    assert_eq!(text_bar(&p, 21, Lang::En), "1 ─────[====◆====]───── 5");
    // Suppressed: the own value alone.
    let p = score(None, None, Some(2.0));
    assert_eq!(text_bar(&p, 21, Lang::De), "1 ─────◆─────────────── 5");
    // Shares: axis in percent; no finite range: no bar.
    let share = Position {
        range: (0.0, 1.0),
        interval: Some((0.1, 0.3)),
        estimate: Some(0.2),
        own: Some(1.0),
        share: true,
    };
    assert_eq!(text_bar(&share, 11, Lang::De), "0 % ─[●]──────◆ 100 %");
    assert_eq!(text_bar(&share, 11, Lang::En), "0% ─[●]──────◆ 100%");
    let open = Position {
        range: (f64::NEG_INFINITY, f64::INFINITY),
        ..share
    };
    assert_eq!(text_bar(&open, 11, Lang::De), "");
}

#[test]
fn numbers_follow_the_language() {
    assert_eq!(value(2.5, false, Lang::De), "2,50");
    assert_eq!(value(2.5, false, Lang::En), "2.50");
    assert_eq!(value(3.0, false, Lang::De), "3");
    assert_eq!(value(0.456, true, Lang::De), "46 %");
    assert_eq!(interval(2.5, 3.1, false, Lang::De), "[2,50; 3,10]");
    assert_eq!(interval(2.5, 3.1, false, Lang::En), "[2.50, 3.10]");
}

#[test]
fn the_chart_is_well_formed_svg_with_a_text_alternative() {
    let rows = vec![
        ChartRow {
            label: "Datenhoheit & <Kontrolle>".into(),
            position: score(Some((2.5, 3.1)), Some(2.8), Some(4.0)),
            verdict: Some(Verdict::Above),
            note: None,
        },
        ChartRow {
            label: "Offene Standards".into(),
            position: score(None, None, Some(2.0)),
            verdict: None,
            note: Some("zu wenige Teilnehmende (< 5); siehe alle Verwaltungen".into()),
        },
    ];
    for lang in [Lang::De, Lang::En] {
        let svg = position_chart("c0", "Position: Gemeinden", &rows, lang);
        let names = well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        assert_eq!(names[0..3], ["svg", "title", "desc"]);
        assert!(svg.starts_with("<svg role=\"img\" aria-labelledby=\"c0-t c0-d\""));
        assert!(!svg.contains("http"), "no external references");
        // One band and one estimate for the published row only; a diamond for each own value.
        assert_eq!(svg.matches("<rect").count(), 2, "legend + one band");
        assert_eq!(
            svg.matches("<polygon").count(),
            3,
            "legend + two own values"
        );
        // The text alternative says it in words, escaped.
        let desc = &svg[svg.find("<desc").unwrap()..svg.find("</desc>").unwrap()];
        let want = match lang {
            Lang::De => [
                "Datenhoheit &amp; &lt;Kontrolle&gt;: Ihr Wert 4, Kohortenwert 2,80 (95-%-Intervall [2,50; 3,10]): über dem Kohortenwert.",
                "Offene Standards: Ihr Wert 2, Kohortenwert nicht veröffentlicht: zu wenige Teilnehmende (&lt; 5); siehe alle Verwaltungen.",
            ],
            Lang::En => [
                "Datenhoheit &amp; &lt;Kontrolle&gt;: your value 4, cohort value 2.80 (95% interval [2.50, 3.10]): above the cohort value.",
                "Offene Standards: your value 2, cohort value not published: zu wenige Teilnehmende (&lt; 5); siehe alle Verwaltungen.",
            ],
        };
        for w in want {
            assert!(desc.contains(w), "{w}\n{desc}");
        }
    }
}
