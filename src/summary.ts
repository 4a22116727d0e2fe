/**
 * A session's result in words: the race across families, the held-out score of the best
 * configuration and the ensemble, worded as the CLI summary and `assistant/records.py`'s
 * `EnsembleEvaluation.headline()` word them, so the sidebar and the terminal say the same.
 */
import type { EnsembleEvaluation, FinalEvaluation, RaceView } from './events.generated';

/** ` (95% CI low–high)`, or nothing without both ends. */
function interval(low: number | null | undefined, high: number | null | undefined): string {
  if (low === null || low === undefined || high === null || high === undefined) {
    return '';
  }
  return ` (95% CI ${low.toFixed(4)}–${high.toFixed(4)})`;
}

/** The ensemble in one line, as assistant/records.py's EnsembleEvaluation.headline(). */
export function ensembleLine(ensemble: EnsembleEvaluation): string {
  const members = ensemble.members ?? [];
  if (members.length < 2) {
    return `Ensemble: not used (${ensemble.reason}).`;
  }
  const parts = members.map(m => `${m.family} #${m.trial} ${m.weight.toFixed(2)}`).join(', ');
  const verdict = ensemble.kept ? 'kept' : 'not kept';
  let line = `Ensemble of ${members.length} (${parts}): ${verdict}, ${ensemble.reason}`;
  if (ensemble.test_score !== null && ensemble.test_score !== undefined) {
    line += `; held-out ${ensemble.test_score.toFixed(4)}`;
    line += interval(ensemble.ci_low, ensemble.ci_high);
  }
  return line + '.';
}

/**
 * The session's result once its best configuration is refitted and scored on the held-out
 * rows, as assistant/records.py's FinalEvaluation.headline() (the CLI summary's line).
 */
export function finalLine(final: FinalEvaluation): string {
  const family = final.family ? ` (${final.family})` : '';
  const low = final.ci_low;
  const high = final.ci_high;
  const spread =
    low !== null && high !== null ? `95% CI ${low.toFixed(4)}–${high.toFixed(4)}, ` : '';
  return (
    `Held-out ${final.metric} of the best configuration${family}: ` +
    `${final.test_score.toFixed(4)} (${spread}n=${final.n_test})`
  );
}

/** The result's lines (held-out score, then the ensemble's), or none before there is one. */
export function resultLines(final: FinalEvaluation | null | undefined): string[] {
  if (!final) {
    return [];
  }
  return final.ensemble ? [finalLine(final), ensembleLine(final.ensemble)] : [finalLine(final)];
}

/** The race in words, a line each, as assistant/fold.py's RaceView.lines(). */
export function raceLines(race: RaceView | null | undefined): string[] {
  if (!race) {
    return [];
  }
  const lines: string[] = [];
  if (race.considered) {
    lines.push(`Families raced: ${race.considered.candidates!.map(c => c.family).join(', ')}`);
  }
  for (const rung of race.rungs) {
    const best = rung
      .scores!.map(s =>
        s.best_score !== null && s.best_score !== undefined
          ? `${s.family} ${s.best_score.toFixed(4)}`
          : `${s.family} none`
      )
      .join(', ');
    const dropped = rung.dropped!.map(d => `${d.family} (${d.reason})`).join('; ');
    lines.push(
      `Rung ${rung.rung + 1}: ${best}; kept ${rung.survivors!.join(', ') || 'none'}` +
        (dropped ? `; dropped ${dropped}` : '')
    );
  }
  if (race.chosen) {
    lines.push(`Family chosen: ${race.chosen.family} (${race.chosen.reason})`);
  }
  return lines;
}
