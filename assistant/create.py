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
from typing import TYPE_CHECKING, Any

import optuna

from assistant import events
from assistant.context import ProblemContext
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
) -> TuningSession:
    """Create a session (and its study) for ``data`` and ``tool`` (a registered tool name,
    a module path, or ``"auto"`` for the LLM's choice). ``llm`` is an ``LLMConfig`` or
    ``None`` for the configured default; only its public settings are stored.
    ``llm_budget`` (an :class:`~assistant.records.LLMBudget`, a dict of its fields or its
    compact spelling ``tokens:N,seconds:S,usd:D``) caps the LLM calls of the whole session,
    the choice of tool included."""
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
    session_id = new_session_id()
    store.create_session(
        name=name or f"{tool} on {data.name}",
        study_name=f"assistant-{session_id}",
        spec={},
        session_id=session_id,
    )
    if tool == "auto":
        tool = _choose_tool(store, session_id, train, resolved, notes, mode, llm_config, budget)
    try:
        tool_obj = get_tool(tool)
        if not tool_obj.supports(data.task):
            raise ToolError(f"tool {tool!r} does not support {data.task}")
    except ToolError:  # unknown, unsupported or not installed: the session says so
        store.update_session(session_id, status="failed")
        raise
    folder = Path(data_dir) if data_dir else default_data_dir(store) / session_id
    data.save(folder)
    spec = SessionSpec(
        tool=tool if ":" in tool else tool_obj.name,  # a module path loads anywhere
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
        context=_context(train, data.name, tool_obj.family, resolved, notes),
        data_dir=str(folder.resolve()),
        isolation=isolation,
        trial_timeout_s=trial_timeout_s,
        llm_budget=budget,
    )
    with optuna_quiet():  # its "A new study created" line is our business, not the user's
        optuna.create_study(
            study_name=f"assistant-{session_id}",
            storage=store.optuna_storage,
            direction=resolved.direction,
        )
    store.update_session(session_id, spec=spec.model_dump(mode="json"))
    events.emit(store, session_id, events.SessionCreated(spec=spec))
    session = TuningSession(store, session_id)
    session.llm_config = llm_config  # with its key: only the public part was stored
    return session


def _engine_options(options: EngineOptions | None, llm_config: LLMConfig) -> dict[str, Any]:
    """The options a session records: an endpoint that gets continuous values has no value
    grid (recorded, so resume and replay ask as the run did)."""
    options = options or EngineOptions()
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


def _choose_tool(
    store: Store,
    session_id: str,
    train: Dataset,
    metric: Metric,
    notes: str,
    mode: Mode,
    llm_config: LLMConfig,
    budget: LLMBudget | None = None,
) -> str:
    """``model="auto"``: the engine's choice of family (the LLM's, when it is on), recorded
    (and within the session's LLM budget)."""
    client: Any = None
    if mode != "off":
        from assistant.llm import RecordingClient, make_client
        from assistant.llm.budget import budgeted_client

        client = RecordingClient(make_client(llm_config), store, session_id)
        if budget is not None:
            client = budgeted_client(client, budget, llm_config.to_public_dict())
    choice = choose_tool(client, train, metric.name, metric.direction, notes)
    events.emit(
        store,
        session_id,
        events.ToolChosen(tool=choice.tool, rationale=choice.rationale, fallback=choice.fallback),
    )
    return choice.tool


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
