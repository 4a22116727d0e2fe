"""A session as one self-contained HTML file: summary, plots, trials, the LLM's reasons, cost.

The file needs no network to view: plotly.js is embedded once, inline, and each Optuna plot
is a plotly figure after it. Every piece of text that came from a user or from an LLM is
HTML-escaped, because LLM output is data, not markup. The report reads only the store (the
session's records and its Optuna study); API keys never reach it, since the store scrubs
them and the report shows no endpoint settings.

Example:
    >>> import optuna, os, tempfile
    >>> from assistant.store import Store
    >>> store = Store(f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'r.db')}")
    >>> _ = optuna.create_study(study_name="demo", storage=store.optuna_storage)
    >>> sid = store.create_session(name="demo", study_name="demo", spec={"metric": "accuracy"})
    >>> path = write_report(store, sid, os.path.join(tempfile.mkdtemp(), "report.html"))
    >>> path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
"""

from __future__ import annotations

import html
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import optuna
from optuna.trial import FrozenTrial, TrialState

from assistant import __version__, events
from assistant.context import DatasetInfo
from assistant.llm_health import LLMHealthSummary, summarize_llm_health
from assistant.records import EnsembleEvaluation, LLMBudgetStatus
from assistant.sampler import SUGGESTION_ATTR
from assistant.store import SessionRecord, Store
from assistant.timeline import (
    LLM_CALL,
    TimelineEntry,
    build_timeline,
    format_config,
    format_score,
    token_usage,
)

logger = logging.getLogger(__name__)

SECTIONS: Final[tuple[tuple[str, str], ...]] = (
    ("summary", "Summary"),
    ("optimization-history", "Optimization history"),
    ("param-importances", "Parameter importances"),
    ("parallel-coordinates", "Parallel coordinates"),
    ("trials", "Trials"),
    ("rationale", "LLM rationale timeline"),
    ("token-usage", "Token usage and cost"),
    ("fallbacks", "Fallbacks"),
    ("final-evaluation", "Final held-out evaluation"),
)
"""Each section's stable ``id`` (the anchor of its ``<h2>``) and heading, in page order."""

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
nav a { margin-right: 1rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
td { max-width: 32rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
td.text { max-width: 32rem; white-space: pre-wrap; }
p.note { color: #666; font-style: italic; }
p.warning { background: #fde7e9; border: 1px solid #c50f1f; padding: 0.4rem 0.6rem; }
footer { margin-top: 3rem; color: #888; font-size: 0.8rem; }
"""


def render_report(
    store: Store,
    session_id: str,
    *,
    usd_per_1m_input: float | None = None,
    usd_per_1m_output: float | None = None,
) -> str:
    """The report of one session as an HTML document (a string).

    The prices (USD per million prompt / completion tokens) only feed the cost estimate.

    Example:
        >>> import optuna, os, tempfile
        >>> store = Store(f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'r.db')}")
        >>> _ = optuna.create_study(study_name="demo", storage=store.optuna_storage)
        >>> sid = store.create_session(name="<b>demo</b>", study_name="demo")
        >>> "&lt;b&gt;demo&lt;/b&gt;" in render_report(store, sid)
        True
    """
    record = store.get_session(session_id)
    metric = str(record.spec.get("metric") or "score")
    study = optuna.load_study(study_name=record.study_name, storage=store.optuna_storage)
    trials = study.get_trials(deepcopy=False)
    n_complete = sum(t.state == TrialState.COMPLETE for t in trials)
    timeline = build_timeline(store, session_id)
    usage = token_usage(
        store, session_id, usd_per_1m_input=usd_per_1m_input, usd_per_1m_output=usd_per_1m_output
    )

    figures = {
        "optimization-history": _figure(
            "optimization-history",
            lambda: optuna.visualization.plot_optimization_history(study, target_name=metric),
            n_complete,
            needed=1,
        ),
        "param-importances": _figure(
            "param-importances",
            lambda: optuna.visualization.plot_param_importances(study, target_name=metric),
            n_complete,
            needed=2,
        ),
        "parallel-coordinates": _figure(
            "parallel-coordinates",
            lambda: optuna.visualization.plot_parallel_coordinate(study, target_name=metric),
            n_complete,
            needed=1,
        ),
    }
    health = summarize_llm_health(store, session_id)
    bodies = {
        "summary": _summary(record, study, trials, timeline, health, _budget(store, record)),
        **{section: body for section, (body, _drawn) in figures.items()},
        "trials": _trials(trials),
        "rationale": _rationale(timeline),
        "token-usage": _token_usage(usage, record, (usd_per_1m_input, usd_per_1m_output)),
        "fallbacks": _fallbacks(timeline, health),
        "final-evaluation": _final(timeline),
    }
    needs_plotly = any(drawn for _body, drawn in figures.values())
    return _page(record, bodies, needs_plotly)


def write_report(
    store: Store,
    session_id: str,
    path: str | Path,
    *,
    usd_per_1m_input: float | None = None,
    usd_per_1m_output: float | None = None,
) -> Path:
    """Write the report of one session to ``path`` (folders are created) and return the path.

    Example:
        >>> import optuna, os, tempfile
        >>> store = Store(f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'r.db')}")
        >>> _ = optuna.create_study(study_name="demo", storage=store.optuna_storage)
        >>> sid = store.create_session(name="demo", study_name="demo")
        >>> write_report(store, sid, os.path.join(tempfile.mkdtemp(), "a", "r.html")).name
        'r.html'
    """
    target = Path(path)
    document = render_report(
        store, session_id, usd_per_1m_input=usd_per_1m_input, usd_per_1m_output=usd_per_1m_output
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(document, encoding="utf-8")
    logger.info("wrote the report of session %s to %s", session_id, target)
    return target


def html_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An HTML table whose every header and cell is escaped (``None`` shows as ``–``).

    Example:
        >>> html_table(["rationale"], [["<script>"]])
        '<table><thead><tr><th>rationale</th></tr></thead><tbody><tr><td>&lt;script&gt;</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e('–' if c is None else c)}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# -- sections ------------------------------------------------------------------------------
def _budget(store: Store, record: SessionRecord) -> LLMBudgetStatus | None:
    """The session's LLM budget against what it spent (``None`` without a budget)."""
    recorded = (record.result or {}).get("llm_budget")
    if recorded:
        return LLMBudgetStatus.model_validate(recorded)
    if not (record.spec or {}).get("llm_budget"):
        return None
    from assistant.session import TuningSession

    return TuningSession(store, record.id).budget_status()


def _summary(
    record: SessionRecord,
    study: optuna.Study,
    trials: list[FrozenTrial],
    timeline: list[TimelineEntry],
    health: LLMHealthSummary,
    budget: LLMBudgetStatus | None = None,
) -> str:
    spec = record.spec
    states = Counter(t.state for t in trials)
    rows: list[tuple[str, Any]] = [
        ("Session", record.name),
        ("Session id", record.id),
        ("Problem", spec.get("context", {}).get("task")),
        ("Data", _dataset(spec.get("context", {})) or None),
        ("Tool", spec.get("tool")),
    ]
    for entry in timeline:
        choice = entry.payload()
        if isinstance(choice, events.ToolChosen):
            why = choice.rationale
            if choice.fallback:
                why = f"{why} (fallback: {choice.fallback})".strip()
            rows.append(("Why this tool", why or None))
            if choice.race:
                rows.append(("Why one family", choice.race))
    rows += _race_rows(timeline)
    rows += [
        ("Metric", spec.get("metric")),
        ("Direction", spec.get("direction")),
        ("LLM mode", spec.get("mode")),
    ]
    if spec.get("mode") != "off":
        llm = spec.get("llm", {})
        rows.append(("LLM model", "embedded" if llm.get("embedded") else llm.get("model")))
        values = "free numbers" if llm.get("continuous_values") else "a grid of values"
        rows.append(("LLM numbers", values))  # sessions recorded before the choice: the grid
        rows.append(("LLM health", health.headline()))
        if budget is not None:
            rows.append(("LLM budget", budget.headline()))
    rows += [
        ("Status", record.status),
        ("Created (UTC)", f"{record.created_at:%Y-%m-%d %H:%M:%S}"),
        (
            "Trials",
            f"{states[TrialState.COMPLETE]} complete, {states[TrialState.FAIL]} failed, "
            f"{states[TrialState.PRUNED]} pruned, {states[TrialState.RUNNING]} running "
            f"(of {spec.get('n_trials', '?')} planned)",
        ),
    ]
    if states[TrialState.COMPLETE]:
        best = study.best_trial
        rows += [
            ("Best CV score", f"{format_score(best.value)} (trial {best.number})"),
            ("Best configuration", format_config(best.params)),
        ]
    else:
        rows.append(("Best CV score", "no complete trial"))
    notes = spec.get("context", {}).get("notes")
    if notes:
        rows.append(("Notes", notes))
    return _key_values(rows)


def _dataset(context: dict[str, Any]) -> str:
    """The recorded table in a few words (rows left out included)."""
    return DatasetInfo.model_validate(context.get("dataset") or {}).headline()


def _race_rows(timeline: list[TimelineEntry]) -> list[tuple[str, Any]]:
    """``model="auto"``: the families raced and why, each rung's survivors with the scores,
    the dropped families with their reasons, and the winner."""
    rows: list[tuple[str, Any]] = []
    for entry in timeline:
        p = entry.payload()
        if isinstance(p, events.FamiliesConsidered):
            rows.append(
                ("Families raced", "; ".join(f"{c.family} ({c.reason})" for c in p.candidates))
            )
            if p.skipped:
                rows.append(
                    ("Families left out", "; ".join(f"{s.family}: {s.reason}" for s in p.skipped))
                )
            if p.llm_pick is None and p.fallback:
                rows.append(("LLM's family pick", f"none ({p.fallback})"))
        elif isinstance(p, events.RungFinished):
            scores = ", ".join(
                f"{s.family} {format_score(s.best_score) if s.best_score is not None else 'none'}"
                f" ({s.n_complete}/{s.n_trials} complete)"
                for s in p.scores
            )
            dropped = "; ".join(f"{d.family}: {d.reason}" for d in p.dropped)
            text = (
                f"{p.quota} trial(s) each; best {scores}; kept {', '.join(p.survivors) or 'none'}"
            )
            rows.append((f"Rung {p.rung + 1}", text + (f"; dropped {dropped}" if dropped else "")))
        elif isinstance(p, events.FamilyChosen):
            rows.append(
                (
                    "Family chosen",
                    f"{p.family}: {p.reason} ({format_score(p.best_score)}, trial {p.best_trial})",
                )
            )
    return rows


def _figure(
    section: str, make: Callable[[], Any], n_complete: int, *, needed: int
) -> tuple[str, bool]:
    """A plot's HTML and whether it was drawn; a note saying why not otherwise."""
    if n_complete < needed:
        return _note(
            f"Needs at least {needed} complete trial(s); this session has {n_complete}."
        ), False
    try:
        figure = make()
        body = figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"plot-{section}",
            default_height="480px",
            config={"displaylogo": False},
        )
    except Exception as exc:  # a plot that cannot be drawn must not cost the whole report
        logger.warning("report: the %s plot failed: %s", section, exc, exc_info=True)
        return _note(f"This plot could not be drawn: {type(exc).__name__}: {exc}"), False
    return body, True


def _trials(trials: list[FrozenTrial]) -> str:
    if not trials:
        return _note("No trials yet.")
    rows = []
    for t in trials:
        suggestion = t.user_attrs.get(SUGGESTION_ATTR) or {}
        rows.append(
            (
                t.number,
                t.state.name.lower(),
                format_score(t.value) if t.value is not None else None,
                suggestion.get("source"),
                format_config(t.params),
                f"{t.duration.total_seconds():.2f}" if t.duration is not None else None,
                t.user_attrs.get("failure_reason"),
            )
        )
    return html_table(
        ["Trial", "State", "Value", "Source", "Parameters", "Duration (s)", "Note"], rows
    )


def _rationale(timeline: list[TimelineEntry]) -> str:
    rows = []
    calls_before: list[TimelineEntry] = []
    for entry in timeline:
        if entry.kind == LLM_CALL:
            calls_before.append(entry)
        elif isinstance(s := entry.payload(), events.SuggestionMade):
            fallback = s.fallback
            if s.rejected:
                rejected = f"{len(s.rejected)} invalid LLM proposal(s) rejected"
                fallback = f"{fallback}; {rejected}" if fallback else rejected
            rows.append(
                (
                    entry.trial_number,
                    s.source,
                    s.rationale or None,
                    format_config(s.config),
                    format_score(s.predicted),
                    _plus_minus(s.llm_pred, s.llm_std),
                    _plus_minus(s.stat_pred, s.stat_std),
                    format_score(s.llm_weight),
                    fallback,
                    _calls_summary(calls_before),
                )
            )
            calls_before = []
    if not rows:
        return _note("No suggestions recorded.")
    return _note(
        "Predictions are in the metric's units: the blend the engine ranked by, the LLM's "
        "and the Gaussian process's (mean ± std). LLM calls are those made since the "
        "previous suggestion."
    ) + html_table(
        [
            "Trial",
            "Source",
            "Rationale",
            "Configuration",
            "Predicted",
            "LLM",
            "GP",
            "LLM weight",
            "Fallback",
            "LLM calls",
        ],
        rows,
    )


def _token_usage(
    usage: dict[str, Any], record: SessionRecord, prices: tuple[float | None, float | None]
) -> str:
    if not usage["calls"]:
        return _note(f"No LLM calls were made (LLM mode: {record.spec.get('mode', '?')}).")
    rows = [
        _usage_row(purpose, numbers) for purpose, numbers in sorted(usage["by_purpose"].items())
    ]
    rows.append(_usage_row("total", usage))
    table = html_table(
        ["Purpose", "Calls", "Errors", "Prompt tokens", "Completion tokens", "Latency (s)"], rows
    )
    cost = usage["cost_usd"]
    if cost is None:
        line = "Cost not estimated: no token prices were given."
    elif cost == 0.0 and record.spec.get("llm", {}).get("embedded"):
        line = "Cost: $0 (the embedded model runs locally)."
    else:
        per_input, per_output = (price or 0.0 for price in prices)
        line = (
            f"Estimated cost: ${cost:.4f} at ${per_input:g} per million prompt tokens and "
            f"${per_output:g} per million completion tokens."
        )
    return table + f"<p>{_e(line)}</p>"


def _fallbacks(timeline: list[TimelineEntry], health: LLMHealthSummary) -> str:
    typed = [(e.trial_number, e.payload()) for e in timeline]
    changes = [
        (n, p.previous, p.state, p.reason)
        for n, p in typed
        if isinstance(p, events.LLMHealthChanged)
    ]
    fallbacks = [(n, p.source, p.reason) for n, p in typed if isinstance(p, events.Fallback)]
    failed_calls = [
        (
            f"{e.at:%H:%M:%S}",
            e.detail.get("purpose"),
            e.detail.get("error_type"),
            e.detail.get("error"),
        )
        for e in timeline
        if e.kind == LLM_CALL and e.detail.get("error_type")
    ]
    parts = []
    if health.state in ("degraded", "unavailable"):
        parts.append(f'<p class="warning">{_e(health.headline())}</p>')
    if changes:
        parts.append("<h3>LLM health changes</h3>")
        parts.append(html_table(["From trial", "Was", "Became", "Reason"], changes))
    parts += [
        html_table(["Trial", "Source used instead", "Reason"], fallbacks)
        if fallbacks
        else _note("No fallbacks: the engine never had to go on without the LLM.")
    ]
    if failed_calls:
        parts.append("<h3>Failed LLM calls</h3>")
        parts.append(html_table(["Time (UTC)", "Purpose", "Error", "Message"], failed_calls))
    return "".join(parts)


def _final(timeline: list[TimelineEntry]) -> str:
    finals = [p for e in timeline if isinstance(p := e.payload(), events.FinalEvaluated)]
    if not finals:
        return _note("Not evaluated: the session has not finished with a complete trial.")
    f = finals[-1]
    single = _key_values(
        [
            ("Metric", f.metric),
            ("Held-out score", format_score(f.test_score)),
            ("95% CI (bootstrap)", f"{format_score(f.ci_low)} – {format_score(f.ci_high)}"),
            ("Held-out samples (n_test)", f.n_test),
            ("CV score of the same configuration", format_score(f.cv_score)),
            ("Configuration", format_config(f.config)),
        ]
    )
    return single + _ensemble(f.ensemble) if f.ensemble is not None else single


def _ensemble(ensemble: EnsembleEvaluation) -> str:
    """The ensemble beside the best single configuration: kept or not, and both scores."""
    parts = [f"<h3>Ensemble of the best trials</h3>{_note(ensemble.headline())}"]
    if len(ensemble.members) >= 2:
        parts.append(
            _key_values(
                [
                    ("Kept as the model", "yes" if ensemble.kept else "no"),
                    ("Cross-fitted CV score", format_score(ensemble.cv_score)),
                    ("Best single on the same folds", format_score(ensemble.best_single_cv)),
                    ("Held-out score", format_score(ensemble.test_score)),
                    (
                        "95% CI (bootstrap)",
                        f"{format_score(ensemble.ci_low)} – {format_score(ensemble.ci_high)}",
                    ),
                ]
            )
        )
        rows = [
            [f"#{m.trial}", m.family, f"{m.weight:.2f}", format_score(m.cv_score),
             format_config(m.config)]
            for m in ensemble.members
        ]  # fmt: skip
        parts.append(html_table(["Trial", "Family", "Weight", "CV score", "Configuration"], rows))
    return "".join(parts)


# -- pieces --------------------------------------------------------------------------------
def _page(record: SessionRecord, bodies: dict[str, str], needs_plotly: bool) -> str:
    # plotly.js goes in once, inline, so the file opens with no network at all.
    script = f'<script type="text/javascript">{_plotly_js()}</script>' if needs_plotly else ""
    nav = "".join(f'<a href="#{sid}">{_e(title)}</a>' for sid, title in SECTIONS)
    sections = "".join(
        f'<section><h2 id="{sid}">{_e(title)}</h2>{bodies[sid]}</section>'
        for sid, title in SECTIONS
    )
    generated = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>Tuning report: {_e(record.name)}</title>"
        f"<style>{_STYLE}</style>{script}</head><body>"
        f"<h1>Tuning report: {_e(record.name)}</h1><nav>{nav}</nav>{sections}"
        f"<footer>automl-assistant {_e(__version__)}, generated {generated}</footer>"
        "</body></html>\n"
    )


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _key_values(rows: Iterable[tuple[str, Any]]) -> str:
    body = "".join(
        f'<tr><th>{_e(label)}</th><td class="text">{_e("–" if value is None else value)}</td></tr>'
        for label, value in rows
    )
    return f"<table><tbody>{body}</tbody></table>"


def _usage_row(label: str, numbers: dict[str, Any]) -> tuple[Any, ...]:
    return (
        label,
        numbers["calls"],
        numbers["errors"],
        f"{numbers['prompt_tokens']:,}",
        f"{numbers['completion_tokens']:,}",
        f"{numbers['latency_s']:.2f}",
    )


def _calls_summary(calls: list[TimelineEntry]) -> str | None:
    if not calls:
        return None
    purposes = Counter(str(c.detail.get("purpose") or "call") for c in calls)
    names = ", ".join(p if n == 1 else f"{p} ×{n}" for p, n in purposes.items())
    prompt = sum(int(c.detail.get("prompt_tokens") or 0) for c in calls)
    completion = sum(int(c.detail.get("completion_tokens") or 0) for c in calls)
    errors = sum(1 for c in calls if c.detail.get("error_type"))
    failed = f", {errors} failed" if errors else ""
    return f"{names} ({prompt:,}→{completion:,} tokens{failed})"


def _plus_minus(mean: Any, std: Any) -> str | None:
    if mean is None:
        return None
    return f"{format_score(mean)} ± {format_score(std)}" if std is not None else format_score(mean)


def _note(text: str) -> str:
    return f'<p class="note">{_e(text)}</p>'


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)
