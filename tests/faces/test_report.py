"""The timeline, the token bill and the HTML report, on real sessions."""

from __future__ import annotations

import doctest
import html
import importlib
import re
from datetime import UTC, datetime

import optuna
import pytest
from sqlalchemy import text

from assistant import events
from assistant.report import SECTIONS, render_report, write_report
from assistant.session import TuningSession
from assistant.store import Store
from assistant.timeline import LLM_CALL, build_timeline, token_usage
from tests.faces.conftest import API_KEY, MARKUP


def _section(document: str, section_id: str) -> str:
    start = document.index(f'<h2 id="{section_id}">')
    return document[start : document.index("</section>", start)]


# -- timeline ------------------------------------------------------------------------------
def test_timeline_merges_events_and_llm_calls_in_time_order(llm_session: TuningSession) -> None:
    store = llm_session.store
    timeline = build_timeline(store, llm_session.id)

    assert [e.index for e in timeline] == list(range(1, len(timeline) + 1))
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    assert all(e.at.tzinfo is not None for e in timeline)
    calls = [e for e in timeline if e.kind == LLM_CALL]
    assert [e.record_id for e in calls] == [c.id for c in store.llm_calls(llm_session.id)]
    assert [e.record_id for e in timeline if e.kind != LLM_CALL] == [
        e.id for e in store.events(llm_session.id)
    ]
    assert all(e.title and "\n" not in e.title for e in timeline)

    kinds = [e.kind for e in timeline]
    warm = next(
        i for i, e in enumerate(timeline)
        if e.kind == events.SUGGESTION and e.detail.get("source") == "warmstart"
    )  # fmt: skip
    # the design's suggestions come first; the warm start's call before its suggestions
    assert kinds.index(events.SUGGESTION) < kinds.index(LLM_CALL) < warm
    previous = 0
    for position, entry in enumerate(timeline):
        if entry.kind != events.SUGGESTION:
            continue
        if not entry.detail["initial"] and entry.detail.get("llm_asked"):
            # a model step that asks the LLM does so before it suggests
            assert LLM_CALL in kinds[previous:position], entry.title
        previous = position
    asking = [e for e in timeline if e.kind == events.SUGGESTION and e.detail.get("llm_asked")]
    assert asking, "the model's steps asked the LLM"


def test_timeline_titles_read_as_sentences(llm_session: TuningSession) -> None:
    titles = {e.kind: e.title for e in build_timeline(llm_session.store, llm_session.id)}

    assert re.fullmatch(r"LLM surrogate: [\d,]+→\d+ tokens, \d+(\.\d)? m?s", titles[LLM_CALL])
    assert re.fullmatch(
        r"Trial 7 finished: accuracy [\d.]+ \((complete|pruned|failed)\)",
        titles[events.TRIAL_FINISHED],
    )
    assert titles[events.SUGGESTION].startswith("Suggestion for trial 7 (")
    assert titles[events.FINAL_EVALUATION].startswith("Held-out evaluation: accuracy ")
    assert titles[events.SESSION_FINISHED].startswith("Session finished: ")


def test_timeline_puts_an_llm_call_before_an_event_of_the_same_time(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path}/t.db")
    sid = store.create_session(name="tie", study_name="tie")
    store.append_event(sid, events.SUGGESTION, {"source": "llm", "config": {}}, trial_number=0)
    store.record_llm_call(sid, purpose="propose", messages=[])
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with store.engine.begin() as db:
        for table in ("assistant_events", "assistant_llm_calls"):
            db.execute(text(f"UPDATE {table} SET created_at = :t"), {"t": moment})

    assert [e.kind for e in build_timeline(store, sid)] == [LLM_CALL, events.SUGGESTION]


# -- token usage -----------------------------------------------------------------------------
def test_token_usage_adds_up_the_stored_calls(llm_session: TuningSession) -> None:
    calls = llm_session.store.llm_calls(llm_session.id)
    usage = token_usage(llm_session.store, llm_session.id)

    assert usage["calls"] == len(calls) > 0
    assert usage["prompt_tokens"] == sum(c.prompt_tokens for c in calls)
    assert usage["completion_tokens"] == sum(c.completion_tokens for c in calls)
    assert usage["errors"] == sum(c.error_type is not None for c in calls)
    assert usage["latency_s"] == pytest.approx(sum(c.latency_s for c in calls))
    assert set(usage["by_purpose"]) == {c.purpose for c in calls}
    for purpose, numbers in usage["by_purpose"].items():
        mine = [c for c in calls if c.purpose == purpose]
        assert numbers["calls"] == len(mine)
        assert numbers["prompt_tokens"] == sum(c.prompt_tokens for c in mine)
    assert usage["cost_usd"] is None

    priced = token_usage(
        llm_session.store, llm_session.id, usd_per_1m_input=3.0, usd_per_1m_output=15.0
    )
    expected = (usage["prompt_tokens"] * 3.0 + usage["completion_tokens"] * 15.0) / 1e6
    assert priced["cost_usd"] == pytest.approx(expected)


def test_token_usage_of_the_embedded_model_costs_nothing(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path}/t.db")
    sid = store.create_session(name="e", study_name="e", spec={"llm": {"embedded": True}})
    store.record_llm_call(sid, purpose="propose", messages=[], prompt_tokens=10)

    assert token_usage(store, sid, usd_per_1m_input=5.0)["cost_usd"] == 0.0


# -- report ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def llm_report(llm_session: TuningSession, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_report(
        llm_session.store,
        llm_session.id,
        tmp_path_factory.mktemp("report") / "nested" / "report.html",
        usd_per_1m_input=0.5,
        usd_per_1m_output=1.5,
    )
    assert path.is_file()
    return path.read_text(encoding="utf-8")


def test_report_is_one_self_contained_document(llm_report: str) -> None:
    assert llm_report.startswith("<!DOCTYPE html>")
    assert llm_report.count("<html") == llm_report.count("</html>") == 1
    for section_id, title in SECTIONS:
        assert f'<h2 id="{section_id}">{html.escape(title)}</h2>' in llm_report
    # plotly.js is inline, once; nothing is loaded from the network at view time.
    assert llm_report.count("* plotly.js v") == 1
    assert not re.search(r"<script[^>]*\bsrc=", llm_report)
    assert not re.search(r"<link[^>]*\bhref=", llm_report)
    for plot in ("optimization-history", "param-importances", "parallel-coordinates"):
        section = _section(llm_report, plot)
        assert f'id="plot-{plot}"' in section and "Plotly.newPlot(" in section


def test_report_shows_the_session_and_its_best_trial(
    llm_session: TuningSession, llm_report
) -> None:
    summary = _section(llm_report, "summary")
    best = llm_session.study.best_trial

    assert "knn on iris" in summary
    assert "120 tuning rows x 4 features" in summary  # what the data was, as recorded
    assert f"(trial {best.number})" in summary
    assert "scripted" in summary  # the model's name; no endpoint settings
    assert llm_session.spec.llm["base_url"] not in llm_report
    assert API_KEY not in llm_report

    trials = _section(llm_report, "trials")
    assert trials.count("<tr>") == len(llm_session.study.trials) + 1
    assert ">warmstart<" in trials and ">default<" in trials


def test_report_escapes_the_llm_rationale(llm_report: str) -> None:
    rationale = _section(llm_report, "rationale")

    assert html.escape(f"{MARKUP} small k suits iris") in rationale
    assert MARKUP not in llm_report
    assert "propose, surrogate ×2" in rationale  # the calls behind a model step


def test_report_token_usage_matches_the_store(llm_session: TuningSession, llm_report) -> None:
    section = _section(llm_report, "token-usage")
    usage = token_usage(llm_session.store, llm_session.id)

    total = re.search(
        r"<tr><td>total</td><td>(\d+)</td><td>(\d+)</td><td>([\d,]+)</td>"
        r"<td>([\d,]+)</td>",
        section,
    )
    assert total is not None
    assert int(total[1]) == usage["calls"] == len(llm_session.store.llm_calls(llm_session.id))
    assert int(total[2]) == usage["errors"]
    assert int(total[3].replace(",", "")) == usage["prompt_tokens"]
    assert int(total[4].replace(",", "")) == usage["completion_tokens"]
    cost = (usage["prompt_tokens"] * 0.5 + usage["completion_tokens"] * 1.5) / 1e6
    assert f"Estimated cost: ${cost:.4f}" in section


def test_report_final_evaluation_has_the_interval(llm_session: TuningSession, llm_report) -> None:
    final = llm_session.result().final
    assert final is not None
    section = _section(llm_report, "final-evaluation")

    assert f'<td class="text">{final.n_test}</td>' in section
    assert "95% CI" in section
    fallbacks = llm_session.store.events(llm_session.id, kinds=["fallback"])
    listed = _section(llm_report, "fallbacks")
    if fallbacks:
        assert all(html.escape(e.payload["reason"]) in listed for e in fallbacks)
    else:
        assert "No fallbacks" in listed


def test_report_escapes_user_text_and_notes_the_absent_llm(off_session: TuningSession) -> None:
    document = render_report(off_session.store, off_session.id)

    assert MARKUP not in document
    assert document.count(html.escape(MARKUP)) >= 3  # title, heading, name, notes
    assert "No LLM calls were made (LLM mode: off)" in document
    result = off_session.result()
    assert (
        f"{result.n_complete} complete, {result.n_failed} failed, {result.n_pruned} pruned"
        in _section(document, "summary")
    )


def test_report_notes_a_plot_that_fails(off_session: TuningSession, monkeypatch) -> None:
    def broken(*_args, **_kwargs):
        raise RuntimeError("cannot compute importances")

    monkeypatch.setattr(optuna.visualization, "plot_param_importances", broken)
    document = render_report(off_session.store, off_session.id)

    assert "could not be drawn: RuntimeError: cannot compute importances" in _section(
        document, "param-importances"
    )
    assert 'id="plot-optimization-history"' in document


def test_report_of_a_session_without_trials_has_notes_and_no_plotly(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path}/t.db")
    optuna.create_study(study_name="empty", storage=store.optuna_storage)
    sid = store.create_session(name="empty", study_name="empty", spec={"mode": "off"})
    document = render_report(store, sid)

    assert "plotly.js" not in document
    assert "Needs at least 2 complete trial(s); this session has 0." in document
    assert "No trials yet." in document
    assert "Not evaluated" in document


@pytest.mark.parametrize("module", ["assistant.timeline", "assistant.report"])
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_report_and_timeline_say_why_the_tool_was_chosen(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path}/t.db")
    optuna.create_study(study_name="auto", storage=store.optuna_storage)
    sid = store.create_session(name="auto", study_name="auto")
    store.append_event(
        sid, events.TOOL_CHOSEN, {"tool": "knn", "rationale": MARKUP, "fallback": None}
    )

    assert build_timeline(store, sid)[0].title == f"Tool chosen: knn ({MARKUP})"
    summary = _section(render_report(store, sid), "summary")
    assert f'<th>Why this tool</th><td class="text">{html.escape(MARKUP)}</td>' in summary
