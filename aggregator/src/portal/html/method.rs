//! The methodology page: how to read an interval, when a change is real, the two modes, and
//! why cells are missing.

use sovbench_core::i18n::Lang;

/// The page body in `lang`.
pub fn body(lang: Lang) -> String {
    match lang {
        Lang::De => DE.to_string(),
        Lang::En => EN.to_string(),
    }
}

const DE: &str = "<h1>Methodik</h1>
<h2>Wie man ein Intervall liest</h2>
<p>Jeder Wert ist eine Schätzung aus verrauschten Meldungen. Das 95-%-Intervall gibt den Bereich an, in dem der wahre Wert der Kohorte mit 95 % Sicherheit liegt: Bei vielen Runden verfehlt etwa eine von zwanzig Angaben den wahren Wert. Je weniger Teilnehmende und je stärker das Rauschen, desto breiter das Intervall. Intervalle werden zur Anzeige auf den möglichen Bereich begrenzt; ein Stern (*) zeigt, dass die Schätzung selbst außerhalb lag.</p>
<h2>Wann eine Veränderung echt ist</h2>
<p>Zwei Runden werden mit frischem Rauschen geschätzt und sind daher unabhängig. Die Veränderung Δ zwischen zwei Schätzungen mit den halben Intervallbreiten h₁ und h₂ hat das 95-%-Intervall Δ ± √(h₁² + h₂²). Nur wenn dieses Intervall die Null nicht enthält, hebt sich die Veränderung vom Rauschen ab. Auch eine unveränderte Gesamtheit von Verwaltungen kann zwischen zwei Runden scheinbar deutlich springen; deshalb nennt jede Entwicklungsseite zu jeder Veränderung ihr Intervall und eine klare Aussage.</p>
<p>Überlappende Intervalle der beiden Runden beweisen nicht, dass sich nichts geändert hat; maßgeblich ist das Intervall der Veränderung.</p>
<h2>Lokales Rauschen und Modus verschlüsselt</h2>
<p><strong>Lokales Rauschen (Modus direkt):</strong> Jede Verwaltung verrauscht jeden Wert selbst (lokale Differential Privacy), bevor er ihr Haus verlässt. Der Aggregator sieht nie einen echten Wert, dafür sind die Intervalle breit.</p>
<p><strong>Modus verschlüsselt:</strong> Jede Verwaltung verschlüsselt ihre echten Werte an ein Komitee von Treuhändern. Der Aggregator addiert nur Chiffrate; die Treuhänder fügen einmal je Zelle Rauschen hinzu und entschlüsseln gemeinsam nur die verrauschten Summen. Die Intervalle sind deutlich schmaler, solange nicht genug Treuhänder zusammenwirken, um Einzelwerte zu entschlüsseln.</p>
<h2>Warum Werte fehlen</h2>
<table><caption>Gründe für nicht veröffentlichte Werte</caption>
<thead><tr><th scope=\"col\">Hinweis</th><th scope=\"col\">Bedeutung</th></tr></thead><tbody>
<tr><th scope=\"row\">zu wenige Teilnehmende</th><td>Die Kohorte hat weniger Teilnehmende als das Minimum k der Runde. Eine Lesbarkeitsregel: Der Schutz der Einzelnen beruht auf Differential Privacy.</td></tr>
<tr><th scope=\"row\">zu wenige Meldungen</th><td>Zu wenige Verwaltungen haben diesen Wert gemeldet.</td></tr>
<tr><th scope=\"row\">zu ungenau</th><td>Das Intervall wäre breiter als die Nützlichkeitsgrenze der Kennzahl.</td></tr>
<tr><th scope=\"row\">unplausibel</th><td>Die Schätzung liegt so weit außerhalb des möglichen Bereichs, dass sie nichts aussagt.</td></tr>
<tr><th scope=\"row\">nicht im Raster</th><td>Im Modus verschlüsselt wird nur für die Zellen des angekündigten Rasters entschlüsselt.</td></tr>
</tbody></table>
<p>Wo eine feinere Kohorte fehlt, nennt der Hinweis die nächstgröbere Kohorte, in der derselbe Wert veröffentlicht ist.</p>";

const EN: &str = "<h1>Methodology</h1>
<h2>How to read an interval</h2>
<p>Every value is an estimate from noisy reports. The 95% interval is the range in which the cohort's true value lies with 95% confidence: over many rounds, about one statement in twenty misses the true value. The fewer contributors and the stronger the noise, the wider the interval. For display, intervals are clipped to the possible range; an asterisk (*) shows that the estimate itself lay outside.</p>
<h2>When a change is real</h2>
<p>Two rounds are estimated with fresh noise and are therefore independent. The change Δ between two estimates with 95% half-widths h₁ and h₂ has the 95% interval Δ ± √(h₁² + h₂²). Only if that interval excludes zero does the change stand out from the noise. Even an unchanged population of administrations can seem to jump between two rounds; that is why every trend page gives each change its interval and a plain statement.</p>
<p>Overlapping intervals of the two rounds do not prove that nothing changed; what counts is the interval of the change.</p>
<h2>Local noise and mode secure</h2>
<p><strong>Local noise (mode direct):</strong> every administration adds noise to each value itself (local differential privacy) before it leaves the house. The aggregator never sees a true value, but the intervals are wide.</p>
<p><strong>Mode secure:</strong> every administration encrypts its true values to a committee of trustees. The aggregator only adds ciphertexts; the trustees add noise once per cell and jointly decrypt only the noisy sums. The intervals are much narrower, as long as not enough trustees collude to decrypt single values.</p>
<h2>Why values are missing</h2>
<table><caption>Reasons for values not published</caption>
<thead><tr><th scope=\"col\">Note</th><th scope=\"col\">Meaning</th></tr></thead><tbody>
<tr><th scope=\"row\">too few contributors</th><td>The cohort has fewer contributors than the round's minimum k. A readability rule: the protection of individuals rests on differential privacy.</td></tr>
<tr><th scope=\"row\">too few reports</th><td>Too few administrations reported this value.</td></tr>
<tr><th scope=\"row\">too imprecise</th><td>The interval would be wider than the metric's usefulness limit.</td></tr>
<tr><th scope=\"row\">implausible</th><td>The estimate lies so far outside the possible range that it says nothing.</td></tr>
<tr><th scope=\"row\">not in the grid</th><td>In mode secure only the cells of the announced grid are decrypted.</td></tr>
</tbody></table>
<p>Where a finer cohort is missing, the note names the nearest coarser cohort in which the same value is published.</p>";
