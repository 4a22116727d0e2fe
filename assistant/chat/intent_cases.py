"""The plain-language request table: what the chat parser must understand, and as what.

One table serves the tests (``tests/jupyter_ext/test_intent.py``) and the benchmark
(``benchmarks/chat_intent.py``). Each row is a message typed in a kernel described by
:data:`KERNELS` (DataFrame names and columns only: the parser reads no data), with the
command it stands for, or ``None`` when the right answer is a question (``asks`` names the
slot the question is about, ``"intent"`` when the request is none of the commands). Rows with
``rules=False`` need the LLM: the rules alone answer them with a question instead.

Example:
    >>> case = CASES[0]
    >>> case.expected
    '/tune df target=target model=hist_gradient_boosting metric=roc_auc n_trials=40'
    >>> sorted(context_for(case).frames)
    ['df']
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from assistant.chat.intent import IntentContext

BREAST_CANCER = [
    *(f"mean {f}" for f in ("radius", "texture", "perimeter", "area", "smoothness")),
    *(f"mean {f}" for f in ("compactness", "concavity", "concave points", "symmetry")),
    "mean fractal dimension",
    *(f"{f} error" for f in ("radius", "texture", "perimeter", "area", "smoothness")),
    *(f"{f} error" for f in ("compactness", "concavity", "concave points", "symmetry")),
    "fractal dimension error",
    *(f"worst {f}" for f in ("radius", "texture", "perimeter", "area", "smoothness")),
    *(f"worst {f}" for f in ("compactness", "concavity", "concave points", "symmetry")),
    "worst fractal dimension",
    "target",
]
"""The columns of scikit-learn's breast cancer frame (``load_breast_cancer(as_frame=True)``)."""

_HOUSES = ["rooms", "area", "age", "distance", "price"]
KERNELS: dict[str, dict[str, list[str]]] = {
    "cancer": {"df": BREAST_CANCER},
    "churn": {
        "customers": ["customer_id", "tenure", "monthly_charges", "total_charges", "contract",
                      "payment_method", "churned"],
    },
    "houses": {"train": _HOUSES, "test": _HOUSES},
    "mixed": {"df": ["age", "income", "score", "label"],
              "sales": ["week", "store", "units", "revenue"]},
}  # fmt: skip
"""The kernels the requests are typed in: DataFrame name → columns."""

SESSION_ID = "20261201-101500-a1b2c3"
"""The current session of rows with ``session=True``: trials 0-10, trial 10 awaiting review."""
OLD_SESSION = "20261130-090000-0f0f0f"


class IntentCase(BaseModel):
    """One request and the command it stands for (``None``: the answer is a question)."""

    text: str
    expected: str | None
    intent: str | None
    kernel: str = "cancer"
    session: bool = False
    asks: str | None = None
    rules: bool = True


def _case(text: str, expected: str | None, intent: str | None = None, **fields: Any) -> IntentCase:
    if intent is None and expected is not None:
        intent = expected.split()[0].removeprefix("/")
    return IntentCase(text=text, expected=expected, intent=intent, **fields)


CASES: list[IntentCase] = [
    # -- tune, one DataFrame with one obvious target ------------------------------------------
    _case("tune a gradient-boosted model on df for ROC-AUC, 40 trials",
          "/tune df target=target model=hist_gradient_boosting metric=roc_auc n_trials=40"),
    _case("train a random forest on df", "/tune df target=target model=random_forest"),
    _case("fit an SVM to df to predict target, optimise accuracy",
          "/tune df target=target model=svm metric=accuracy"),
    _case("Can you tune k-NN on df with 15 trials?",
          "/tune df target=target model=knn n_trials=15"),
    _case("optimise a logistic regression for log loss",
          "/tune df target=target model=logistic metric=log_loss"),
    _case("find the best neural net for df, F1 score, 30 runs",
          "/tune df target=target model=mlp metric=f1 n_trials=30"),
    _case("hyperparameter search with boosted trees, AUC, twenty trials",
          "/tune df target=target model=hist_gradient_boosting metric=roc_auc n_trials=20"),
    _case("tune df to predict mean radius with an MLP", "/tune df target='mean radius' model=mlp"),
    _case("please tune a nearest neighbours classifier, balanced accuracy, 25 iterations",
          "/tune df target=target model=knn metric=balanced_accuracy n_trials=25"),
    _case("train GBM on df, 5-fold CV, 50 trials",
          "/tune df target=target model=hist_gradient_boosting n_trials=50 n_folds=5"),
    _case("tune hist gradient boosting on df and let me review each suggestion",
          "/tune df target=target model=hist_gradient_boosting review=on"),
    _case("build a model on df", "/tune df target=target"),
    _case("tune df target=target model=rf n_trials=12",
          "/tune df target=target model=random_forest n_trials=12"),
    _case("df, boosted trees, 40 runs",
          "/tune df target=target model=hist_gradient_boosting n_trials=40"),
    # -- tune, the target named in words or not at all ---------------------------------------
    _case("predict churn for customers with a random forest",
          "/tune customers target=churned model=random_forest", kernel="churn"),
    _case("train a model on customers", None, "tune", kernel="churn", asks="target"),
    _case("tune boosted trees on customers to predict churned, maximise ROC AUC",
          "/tune customers target=churned model=hist_gradient_boosting metric=roc_auc",
          kernel="churn"),
    _case("use churned as the target and tune an svm on customers, 10 trials",
          "/tune customers target=churned model=svm n_trials=10", kernel="churn"),
    _case("optimize a gradient boosting model on customers to predict whether they will leave",
          "/tune customers target=churned model=hist_gradient_boosting", kernel="churn",
          asks="target", rules=False),
    _case("customers: predict tenure, RMSE, 40 trials, random forest",
          "/tune customers target=tenure model=random_forest metric=rmse n_trials=40",
          kernel="churn"),
    _case("fit a ridge regression on customers for monthly charges, MAE",
          "/tune customers target=monthly_charges model=linear metric=mae", kernel="churn"),
    _case("tune a model to predict total charges on customers, r²",
          "/tune customers target=total_charges metric=r2", kernel="churn"),
    # -- tune, several DataFrames ----------------------------------------------------------
    _case("fit a random forest on train to predict price",
          "/tune train target=price model=random_forest", kernel="houses"),
    _case("tune an svm to predict price, 30 trials",
          "/tune train target=price model=svm n_trials=30", kernel="houses", asks="dataframe",
          rules=False),
    _case("tune gradient boosting on the test frame for RMSE", None, "tune", kernel="houses",
          asks="target"),
    _case("train a logistic regression on df", "/tune df target=label model=logistic",
          kernel="mixed"),
    _case("predict revenue from sales using boosted trees, 60 trials",
          "/tune sales target=revenue model=hist_gradient_boosting n_trials=60", kernel="mixed"),
    _case("predict units with a neural network, mean absolute error",
          "/tune sales target=units model=mlp metric=mae", kernel="mixed"),
    # -- status and best -------------------------------------------------------------------
    _case("how is it going?", "/status", session=True),
    _case("what's the progress of the tuning?", "/status", session=True),
    _case("how many trials have finished so far?", "/status", session=True),
    _case("is it done yet?", "/status", session=True),
    _case(f"status of {OLD_SESSION}", f"/status {OLD_SESSION}", session=True),
    _case("where do things stand?", "/status", rules=False, asks="intent", session=True),
    _case("how's it going?", None, "status", asks="session"),
    _case("what is the best configuration so far?", "/best", session=True),
    _case("which trial scored highest?", "/best", session=True),
    _case("show me the top model", "/best", session=True),
    _case("I want to see which settings are winning", "/best", session=True),
    _case("what has been the most promising configuration?", "/best", rules=False,
          asks="intent", session=True),
    # -- stop and resume -------------------------------------------------------------------
    _case("stop the tuning", "/stop", session=True),
    _case("please halt, that's enough", "/stop", session=True),
    _case("cancel the session", "/stop", session=True),
    _case("ok, wrap it up", "/stop", rules=False, asks="intent", session=True),
    _case("resume the session", "/resume", session=True),
    _case("continue tuning in review mode", "/resume review=on", session=True),
    _case(f"pick up session {OLD_SESSION} again", f"/resume {OLD_SESSION}", session=True),
    # -- explain, accept, reject, edit -------------------------------------------------------
    _case("why was trial 3 suggested?", "/explain 3", session=True),
    _case("explain trial #7", "/explain 7", session=True),
    _case("explain the last trial", "/explain 10", session=True),
    _case("explain a trial", None, "explain", asks="trial", session=True),
    _case("accept trial 10", "/accept 10", session=True),
    _case("looks good, run trial 10 as suggested", "/accept 10", session=True),
    _case("reject trial 10", "/reject 10", session=True),
    _case("don't run trial 10", "/reject 10", session=True),
    _case("skip the suggestion", "/reject 10", session=True),
    _case("edit trial 10: n_neighbors=7", "/edit 10 n_neighbors=7", session=True),
    _case("change trial 10: set n_neighbors to 9 and weights=distance",
          "/edit 10 n_neighbors=9 weights=distance", session=True),
    # -- replay and help -------------------------------------------------------------------
    _case(f"replay session {OLD_SESSION}", f"/replay {OLD_SESSION}", session=True),
    _case("replay this session", f"/replay {SESSION_ID}", session=True),
    _case(f"play back {OLD_SESSION}", f"/replay {OLD_SESSION}", session=True),
    _case("help", "/help"),
    _case("what can you do?", "/help"),
    _case("how do I use this?", "/help"),
    _case("hello!", "/help"),
    _case("what's up with that?", None, None, asks="intent"),
]  # fmt: skip
"""The request table (at least 40 rows, in the order of the intents)."""


QUESTION_STARTS: dict[str, str] = {
    "target": "Which column of",
    "dataframe": "Which DataFrame",
    "trial": "Which trial",
    "session": "There is no session yet",
    "intent": "I could not tell what to do",
}
"""How the parser's question for each slot begins."""


def asks_for(question: str | None) -> str | None:
    """The slot a question of the parser asks for (``None``: no question, or another one)."""
    for slot, start in QUESTION_STARTS.items():
        if question is not None and question.startswith(start):
            return slot
    return None


def command_fields(command: str) -> dict[str, str]:
    """A canonical command as fields to score: the intent and each argument by slot name.

    >>> command_fields("/tune df target='mean radius' n_trials=5")
    {'intent': 'tune', 'dataframe': 'df', 'target': 'mean radius', 'n_trials': '5'}
    >>> command_fields("/edit 3 n_neighbors=7")
    {'intent': 'edit', 'trial': '3', 'changes': 'n_neighbors=7'}
    """
    from assistant.chat.commands import parse_command

    name, positional, options = parse_command(command)
    fields = {"intent": name}
    if name == "tune":
        fields["dataframe"] = positional[0]
        return {**fields, **options}
    if name in ("explain", "accept", "reject", "edit"):
        fields["trial"] = positional[0]
        positional = positional[1:]
    if positional or "session" in options:
        fields["session"] = positional[0] if positional else options.pop("session")
    if name == "edit":
        fields["changes"] = " ".join(f"{k}={v}" for k, v in options.items())
    elif options:
        fields.update(options)
    return fields


def context_for(case: IntentCase) -> IntentContext:
    """The kernel a case is typed in, with the registered tools and metrics."""
    fields: dict[str, Any] = {}
    if case.session:
        fields = {"session_id": SESSION_ID, "trials": list(range(11)), "pending": [10]}
    return IntentContext.for_kernel(KERNELS[case.kernel], **fields)
