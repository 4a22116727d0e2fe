"""Creating a session: split the data, choose the tool, write the spec, the study and a copy
of the data to the store, so that any process can run, resume or replay it by its id.

Example:
    >>> import os, tempfile
    >>> from sklearn.datasets import load_iris
    >>> from assistant.store import Store
    >>> from assistant.tools import Dataset
    >>> store = Store(f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'c.db')}")
    >>> data = Dataset.from_arrays(*load_iris(return_X_y=True), name="iris")
    >>> session = create_session(data, tool="knn", store=store, n_trials=3, mode="off")
    >>> session.spec.tool, session.spec.metric
    ('knn', 'accuracy')
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import optuna

from assistant import events
from assistant.context import ProblemContext
from assistant.engine.families import candidate_families, families_for_budget
from assistant.engine.planner import EngineOptions
from assistant.engine.tool_choice import ToolChoice, pick_tool
from assistant.errors import ToolError
from assistant.records import Isolation, LLMBudget, Mode, SessionSpec
from assistant.store import Store, new_session_id

if TYPE_CHECKING:
    from assistant.llm.config import LLMConfig
    from assistant.session import TuningSession
    from assistant.tools import Dataset, Metric

DATA_DIR_ENV = "ASSISTANT_DATA_DIR"


def default_data_dir(store: Store) -> Path:
    """Where sessions keep their data: ``$ASSISTANT_DATA_DIR``, else beside a SQLite file,
    else under the user's data folder."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV])
    if store.url.startswith("sqlite:///") and ":memory:" not in store.url:
        db = Path(store.url.removeprefix("sqlite:///"))
        return db.parent / f"{db.stem}-data"
    return Path.home() / ".local" / "share" / "automl-assistant" / "data"


def create_session(
    data: Dataset,
    *,
    tool: str,
    store: Store | None = None,
    metric: str | None = None,
    n_trials: int = 20,
    n_folds: int = 5,
    seed: int = 0,
    test_size: float = 0.2,
    mode: Mode = "full",
    options: EngineOptions | None = None,
    llm: LLMConfig | None = None,
    name: str | None = None,
    notes: str = "",
    isolation: Isolation = "process",
    trial_timeout_s: float | None = None,
    data_dir: str | Path | None = None,
    llm_budget: LLMBudget | dict[str, Any] | str | None = None,
    families: list[str] | None = None,
    ensemble: bool | None = None,
) -> TuningSession:
    """Create a session (and its study) for ``data`` and ``tool`` (a registered tool name,
    a module path, or ``"auto"``: several families race, see :mod:`assistant.cash`; with
    too few trials to race, the one the LLM or the engine picks). ``families`` limits
    ``"auto"`` to those tools. ``llm`` is an ``LLMConfig`` or
    ``None`` for the configured default; only its public settings are stored.
    ``llm_budget`` (an :class:`~assistant.records.LLMBudget`, a dict of its fields or its
    compact spelling ``tokens:N,seconds:S,usd:D``) caps the LLM calls of the whole session,
    the choice of tool included. ``ensemble`` builds a blend of the best trials after
    tuning (see :mod:`assistant.ensemble`); ``None`` does so for ``"auto"`` only."""
    from assistant.llm.config import LLMConfig, resolve_llm_config
    from assistant.session import TuningSession
    from assistant.tools import get_tool, resolve_metric
    from assistant.tools.evaluation import split_holdout

    store = store or Store()
    resolved = resolve_metric(metric, data.task)
    llm_config = (llm if isinstance(llm, LLMConfig) else resolve_llm_config()).resolved()
    budget = _checked_budget(llm_budget, mode, llm_config)
    if llm_config.api_key_value():
        store.add_secret(llm_config.api_key_value())
    train, _test = split_holdout(data, test_size=test_size, seed=seed)
    blend = tool == "auto" if ensemble is None else ensemble
    session_id = new_session_id()
    store.create_session(
        name=name or f"{tool} on {data.name}",
        study_name=_study_name(session_id),
        spec={},
        session_id=session_id,
    )
    try:
        tool, raced = _tool_and_families(
            store, session_id, tool, families, train, resolved, notes, n_trials, mode,
            llm_config, budget,
        )  # fmt: skip
        tool_obj = get_tool(raced[0] if raced else tool)
        if not tool_obj.supports(data.task):
            raise ToolError(f"tool {tool!r} does not support {data.task}")
    except ToolError:  # unknown, unsupported or not installed: the session says so
        store.update_session(session_id, status="failed")
        raise
    folder = Path(data_dir) if data_dir else default_data_dir(store) / session_id
    data.save(folder)
    spec = SessionSpec(
        tool="auto" if raced else tool if ":" in tool else tool_obj.name,  # a path loads anywhere
        task=data.task,
        metric=resolved.name,
        direction=resolved.direction,
        n_trials=n_trials,
        n_folds=n_folds,
        seed=seed,
        test_size=test_size,
        mode=mode,
        options=_engine_options(options, llm_config),
        llm=llm_config.to_public_dict(),
        context=_context(train, data.name, _family_words(raced, tool_obj), resolved, notes),
        data_dir=str(folder.resolve()),
        isolation=isolation,
        trial_timeout_s=trial_timeout_s,
        llm_budget=budget,
        families=raced,
        ensemble=blend,
    )
    _create_study(store, session_id, resolved.direction)
    store.update_session(session_id, spec=spec.model_dump(mode="json"))
    events.emit(store, session_id, events.SessionCreated(spec=spec))
    session = TuningSession(store, session_id)
    session.llm_config = llm_config  # with its key: only the public part was stored
    return session


def _create_study(
    store: Store, session_id: str, direction: Literal["minimize", "maximize"]
) -> None:
    with optuna_quiet():  # its "A new study created" line is our business, not the user's
        optuna.create_study(
            study_name=_study_name(session_id), storage=store.optuna_storage, direction=direction
        )


def _engine_options(options: EngineOptions | None, llm_config: LLMConfig) -> dict[str, Any]:
    """The options a session records: an endpoint that gets continuous values has no value
    grid (recorded, so resume and replay ask as the run did), and by default a trial never
    waits for the LLM's step when a statistical one can start (``llm_wait="never"``)."""
    options = options or EngineOptions(llm_wait="never")
    if llm_config.effective_continuous_values():
        options = options.model_copy(update={"value_grid": None})
    return options.model_dump(mode="json")


def _checked_budget(value: Any, mode: Mode, llm_config: LLMConfig) -> LLMBudget | None:
    """The session's LLM budget, once its spelling and (for dollars) its prices are checked."""
    budget = LLMBudget.coerce(value)
    if budget is not None and mode != "off":
        from assistant.llm.budget import check_budget

        check_budget(budget, llm_config.to_public_dict())
    return budget


def _context(train: Dataset, name: str, family: str, metric: Metric, notes: str) -> dict[str, Any]:
    """The problem as the LLM reads it, as stored in the spec."""
    info = train.info()
    return ProblemContext(
        task=f"{info.target_kind} {train.task} on {name}",
        model=family,
        metric=metric.name,
        direction=metric.direction,
        metric_low=metric.low,
        metric_high=metric.high,
        dataset=info,
        notes=notes,
    ).model_dump(mode="json")


def _study_name(session_id: str) -> str:
    """The name of a session's Optuna study."""
    return f"assistant-{session_id}"


def _tool_and_families(
    store: Store,
    session_id: str,
    tool: str,
    families: list[str] | None,
    train: Dataset,
    metric: Metric,
    notes: str,
    n_trials: int,
    mode: Mode,
    llm_config: LLMConfig,
    budget: LLMBudget | None,
) -> tuple[str, list[str] | None]:
    """The tool to tune, or for ``model="auto"`` the families to race (see :func:`_choose`)."""
    if families and tool != "auto":
        raise ToolError(f'families= is for model="auto", not for tool {tool!r}')
    if tool != "auto":
        return tool, None
    client = _choice_client(store, session_id, mode, llm_config, budget)
    return _choose(store, session_id, client, train, metric, notes, n_trials, families)


def _family_words(raced: list[str] | None, tool: Any) -> str:
    """The model as the problem's context names it: the family, or the families raced."""
    return f"one of several families ({', '.join(raced)})" if raced else str(tool.family)


def _choice_client(
    store: Store, session_id: str, mode: Mode, llm_config: LLMConfig, budget: LLMBudget | None
) -> Any:
    """The recording client (within the session's LLM budget) that chooses the family for
    ``model="auto"``; ``None`` with the LLM off."""
    if mode == "off":
        return None
    from assistant.llm import RecordingClient, make_client
    from assistant.llm.budget import budgeted_client

    client: Any = RecordingClient(make_client(llm_config), store, session_id)
    if budget is not None:
        client = budgeted_client(client, budget, llm_config.to_public_dict())
    return client


def _choose(
    store: Store,
    session_id: str,
    client: Any,
    train: Dataset,
    metric: Metric,
    notes: str,
    n_trials: int,
    families: list[str] | None,
) -> tuple[str, list[str] | None]:
    """``model="auto"``: the families to race (``("auto", families)``), or, when the trials
    cannot race two, the one family (``(tool, None)``); recorded either way."""
    choice, candidates, skipped = choose_families(
        client, train, metric.name, metric.direction, notes, families
    )
    if not candidates:
        raise ToolError(
            f"no family to tune: {'; '.join(f'{s.family}: {s.reason}' for s in skipped)}"
        )
    k = families_for_budget(len(candidates), n_trials)
    if k <= 1:
        tool = candidates[0].family
        why = (
            choice.rationale if choice is not None and choice.tool == tool else candidates[0].reason
        )
        race = None
        if len(candidates) > 1:
            race = f"{n_trials} trial(s) are too few to race families: {tool} alone is tuned"
        fallback = choice.fallback if choice is not None else None
        chosen = events.ToolChosen(
            tool=tool, rationale=why, fallback=fallback, race=race, requested=families
        )
        events.emit(store, session_id, chosen)
        return tool, None
    considered = events.FamiliesConsidered(
        candidates=candidates[:k],
        skipped=skipped + [_left_out(c.family, k) for c in candidates[k:]],
        llm_pick=choice.tool if choice is not None and choice.fallback is None else None,
        rationale=choice.rationale if choice is not None else "",
        fallback=choice.fallback if choice is not None else "the LLM is off",
        requested=families,
    )
    events.emit(store, session_id, considered)
    return "auto", [c.family for c in candidates[:k]]


def _left_out(family: str, k: int) -> Any:
    from assistant.engine.families import FamilyDropped

    return FamilyDropped(family=family, reason=f"the trial budget races {k} families")


def choose_families(
    client: Any,
    train: Dataset,
    metric: str,
    direction: str,
    notes: str,
    families: list[str] | None = None,
) -> tuple[ToolChoice | None, list[Any], list[Any]]:
    """The LLM's pick (``None`` with the LLM off) and the candidate and skipped families
    for ``model="auto"`` (also what replay asks again, with the recorded answers)."""
    from assistant.tools import get_tool, list_tools

    available = list_tools(train.task)
    if families:
        wanted = {get_tool(f).name for f in families}
        available = [t for t in available if t.name in wanted]
    images = train.image_shape is not None
    choice = None
    if client is not None:
        choice = pick_tool(
            client,
            available,
            train.info(),
            task=train.task,
            metric=metric,
            direction=direction,
            notes=notes,
            images=images,
        )
    pick = choice.tool if choice is not None and choice.fallback is None else None
    candidates, skipped = candidate_families(
        [t.name for t in available],
        task=train.task,
        images=images,
        llm_pick=pick,
        llm_rationale=choice.rationale if choice is not None else "",
        requested=[get_tool(f).name for f in families] if families else None,
    )
    return choice, candidates, skipped


def choose_tool(client: Any, train: Dataset, metric: str, direction: str, notes: str) -> ToolChoice:
    """:func:`~assistant.engine.tool_choice.pick_tool` over the tools registered for the
    task of ``train`` (also what replay asks again, with the recorded answers)."""
    from assistant.tools import list_tools

    return pick_tool(
        client,
        list_tools(train.task),
        train.info(),
        task=train.task,
        metric=metric,
        direction=direction,
        notes=notes,
        images=train.image_shape is not None,
    )


@contextlib.contextmanager
def optuna_quiet() -> Iterator[None]:
    """Optuna's INFO lines off for the block (our faces say what happened)."""
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(max(verbosity, optuna.logging.WARNING))
    try:
        yield
    finally:
        optuna.logging.set_verbosity(verbosity)
