/* Generated from src/events.schema.json (assistant/events.py) by json-schema-to-typescript: do not edit. Regenerate both with: make event-types */

export type Reason = string;
export type Source =
  ('default' | 'warmstart' | 'llm' | 'statistical' | 'quasi_random' | 'user') | null;
export type Family = string;
export type Reason1 = string;
export type Source1 = 'llm' | 'default' | 'user';
export type Candidates = FamilyCandidate[];
export type Fallback1 = string | null;
export type LlmPick = string | null;
export type Rationale = string;
export type Requested = string[] | null;
export type Family1 = string;
export type Reason2 = string;
export type Skipped = FamilyDropped[];
export type BestScore = number;
export type BestTrial = number;
export type Family2 = string;
export type Reason3 = string;
export type TimedOut = boolean;
export type CiHigh = number | null;
export type CiLow = number | null;
export type CvScore = number;
export type BestSingleCv = number | null;
export type CiHigh1 = number | null;
export type CiLow1 = number | null;
export type CvScore1 = number | null;
export type Kept = boolean;
export type CvScore2 = number;
export type Family3 = string;
export type Trial = number;
export type Weight = number;
export type Members = EnsembleMember[];
export type NCandidates = number;
export type Reason4 = string;
export type TestScore = number | null;
export type Family4 = string | null;
export type Metric = string;
export type NTest = number;
export type TestScore1 = number;
export type TestSeed = number;
export type MaxCostUsd = number | null;
export type MaxSeconds = number | null;
export type MaxTokens = number | null;
export type InputUsdPerMtok = number;
export type OutputUsdPerMtok = number;
export type Reason5 = string;
export type Calls = number;
export type CostUsd = number | null;
export type Seconds = number;
export type Tokens = number;
export type Permanent = boolean;
export type Previous = 'ok' | 'degraded' | 'unavailable';
export type Reason6 = string;
export type Restarted = boolean;
export type RetryInS = number | null;
export type State = 'ok' | 'degraded' | 'unavailable';
export type Dropped = FamilyDropped[];
export type Quota = number;
export type Rung = number;
export type BestScore1 = number | null;
export type BestTrial1 = number | null;
export type Error = string | null;
export type Family5 = string;
export type NComplete = number;
export type NFailed = number;
export type NPruned = number;
export type NTrials = number;
export type Scores = FamilyScore[];
export type Survivors = string[];
export type DataDir = string;
export type Direction = 'minimize' | 'maximize';
export type Ensemble = boolean;
export type Families = string[] | null;
export type Isolation = 'process' | 'inline';
export type Metric1 = string;
export type Mode = 'off' | 'warmstart' | 'full';
export type NFolds = number;
export type NTrials1 = number;
export type Seed = number;
export type Task = 'classification' | 'regression';
export type TestSize = number;
export type Tool = string;
export type TrialTimeoutS = number | null;
export type Error1 = string;
export type BestConfig = {
  [k: string]: unknown;
} | null;
export type BestCvScore = number | null;
export type BestFamily = string | null;
export type Error2 = string | null;
export type CiHigh2 = number | null;
export type CiLow2 = number | null;
export type CvScore3 = number;
export type Family6 = string | null;
export type Metric2 = string;
export type NTest1 = number;
export type TestScore2 = number;
export type TestSeed1 = number;
export type Reason7 = string;
export type SinceTrial = number | null;
export type SpentOut = boolean;
export type Calls1 = number;
export type CallsAnswered = number;
export type LlmTrials = number;
export type ModelSteps = number;
export type Reason8 = string;
export type Restarts = number;
export type SinceTrial1 = number | null;
export type State1 = 'ok' | 'degraded' | 'unavailable' | 'off' | 'unused';
export type TrialsNotWaiting = number;
export type Estimate = number;
export type High = number;
export type Low = number;
/**
 * the trials the estimate rests on
 */
export type N = number;
export type NComplete1 = number;
export type NFailed1 = number;
export type NFallbacks = number;
export type NLlmCalls = number;
export type NPruned1 = number;
export type SessionId = string;
export type Status = string;
export type Finished = number;
export type LlmModel = string | null;
export type NJobs = number;
export type Remaining = number;
export type Resumed = boolean;
export type Review = boolean;
export type Target = number | null;
export type Worker = boolean;
export type WorkerId = string;
export type Acquisition = number | null;
export type Fallback2 = string | null;
export type Initial = boolean;
export type LlmAsked = ('propose' | 'surrogate')[];
export type LlmPred = number | null;
export type LlmReady = boolean | null;
export type Call = boolean;
/**
 * steps that made this call before this one
 */
export type Calls2 = number;
export type Reason9 = string;
export type LlmStd = number | null;
export type LlmWeight = number | null;
export type PlannedAt = number | null;
export type Predicted = number | null;
export type Rationale1 = string;
export type Rejected = string[];
export type Source2 = 'default' | 'warmstart' | 'llm' | 'statistical' | 'quasi_random' | 'user';
export type StatPred = number | null;
export type StatStd = number | null;
export type Target1 = number | null;
export type Fallback3 = string | null;
export type Race = string | null;
export type Rationale2 = string;
export type Requested1 = string[] | null;
export type Tool1 = string;
export type Reason10 = string;
export type Device = string | null;
export type DurationS = number;
export type Error3 = string | null;
export type IntermediateValues = [unknown, unknown][];
export type Seed1 = number;
export type Status1 = ('complete' | 'failed' | 'pruned' | 'timeout') | 'rejected';
export type Traceback = string | null;
export type Value1 = number | null;
export type Family7 = string | null;
export type WorkerId1 = string | null;
export type Action = 'stop' | 'accept' | 'reject' | 'edit';
export type Config6 = {
  [k: string]: unknown;
} | null;
export type Trial1 = number | null;
export type Direction1 = 'minimize' | 'maximize';
export type Error4 = string | null;
export type Reason11 = string;
export type Restarts1 = number;
export type SinceTrial2 = number | null;
export type State2 = 'ok' | 'degraded' | 'unavailable';
export type LastEventId = number;
export type Metric3 = string;
export type NFallbacks1 = number;
export type NInvalid = number;
export type NTrials2 = number | null;
export type Rungs = RungFinished[];
export type Review1 = boolean;
export type State3 = '' | 'created' | 'running' | 'finished' | 'stopped' | 'failed';
export type Tool2 = string | null;
export type Action1 = 'accept' | 'reject' | 'edit';
export type DurationS1 = number | null;
export type Error5 = string | null;
export type Number = number;
export type Source3 = string | null;
export type Status2 =
  'suggested' | 'running' | 'complete' | 'pruned' | 'failed' | 'timeout' | 'rejected' | 'abandoned';
export type Value2 = number | null;

/**
 * Payloads of the assistant's events by kind (assistant/events.py), and the view their fold makes (assistant/fold.py).
 */
export interface AssistantSchema {
  events: EventPayloads;
  view: SessionView;
}
export interface EventPayloads {
  fallback: Fallback;
  families_considered: FamiliesConsidered;
  family_chosen: FamilyChosen;
  final_evaluation: FinalEvaluated;
  llm_budget_spent: LLMBudgetSpent;
  llm_degraded: LLMHealthChanged;
  llm_recovered: LLMHealthChanged;
  llm_unavailable: LLMHealthChanged;
  rung_finished: RungFinished;
  session_created: SessionCreated;
  session_failed: SessionFailed;
  session_finished: SessionEnded;
  session_started: SessionStarted;
  session_stopped: SessionEnded;
  suggestion: SuggestionMade;
  tool_chosen: ToolChosen;
  trial_abandoned: TrialAbandoned;
  trial_finished: TrialFinished;
  trial_started: TrialStarted;
  user_action: UserAction;
}
/**
 * The LLM could not be used for a step; the statistical path was.
 */
export interface Fallback {
  reason: Reason;
  source?: Source;
  [k: string]: unknown;
}
/**
 * ``model="auto"``: the families that race, in order, each with why it takes part; the
 * ones left out and why; the LLM's pick and rationale (or why it was not asked or not
 * used). The measured scores, not this order, decide the winner.
 */
export interface FamiliesConsidered {
  candidates?: Candidates;
  fallback?: Fallback1;
  llm_pick?: LlmPick;
  rationale?: Rationale;
  requested?: Requested;
  skipped?: Skipped;
  [k: string]: unknown;
}
/**
 * A family that takes part, and why: the LLM's pick, the default order, or the user's
 * list.
 */
export interface FamilyCandidate {
  family: Family;
  reason: Reason1;
  source: Source1;
  [k: string]: unknown;
}
/**
 * A family left out (not installed, unsupported) or dropped after a rung, and why.
 */
export interface FamilyDropped {
  family: Family1;
  reason: Reason2;
  [k: string]: unknown;
}
/**
 * The race ended: the family of the best trial over all families, and why.
 */
export interface FamilyChosen {
  best_score: BestScore;
  best_trial: BestTrial;
  family: Family2;
  reason?: Reason3;
  timed_out?: TimedOut;
  [k: string]: unknown;
}
/**
 * The held-out score of the best configuration.
 */
export interface FinalEvaluated {
  ci_high: CiHigh;
  ci_low: CiLow;
  config: Config;
  cv_score: CvScore;
  ensemble?: EnsembleEvaluation | null;
  family?: Family4;
  metric: Metric;
  n_test: NTest;
  test_score: TestScore1;
  test_seed: TestSeed;
  [k: string]: unknown;
}
export interface Config {
  [k: string]: unknown;
}
/**
 * The greedy ensemble of the best trials (see :mod:`assistant.ensemble`), and whether
 * it was kept as the session's model.
 *
 * ``cv_score`` is cross-fitted (weights chosen on the other folds, scored on each fold);
 * ``best_single_cv`` is the best candidate's score on the same folds. The ensemble is
 * kept only when ``cv_score`` beats it; the held-out score (``test_score`` with its
 * interval) is measured either way when the blend has two members or more, so both can be
 * compared, but it never decides.
 */
export interface EnsembleEvaluation {
  best_single_cv?: BestSingleCv;
  ci_high?: CiHigh1;
  ci_low?: CiLow1;
  cv_score?: CvScore1;
  kept: Kept;
  members?: Members;
  n_candidates: NCandidates;
  reason: Reason4;
  test_score?: TestScore;
  [k: string]: unknown;
}
/**
 * One tuned configuration in an ensemble, with its weight (share of selection rounds).
 */
export interface EnsembleMember {
  config: Config1;
  cv_score: CvScore2;
  family: Family3;
  trial: Trial;
  weight: Weight;
  [k: string]: unknown;
}
export interface Config1 {
  [k: string]: unknown;
}
/**
 * The session's LLM budget could not cover a call (``reason``: the limit, ``tokens``,
 * ``seconds`` or ``usd``): it was not sent, and no later one will be; the search goes on
 * statistically. The event's trial number is the first trial planned without the LLM.
 */
export interface LLMBudgetSpent {
  budget: LLMBudget;
  reason: Reason5;
  spent: LLMSpend;
  [k: string]: unknown;
}
/**
 * The most a session may spend on its LLM: tokens (prompt and completion together),
 * seconds of LLM time (the calls' durations added up) and, with prices given or known for
 * the model, US dollars. Any limit left ``None`` is not enforced; at least one is set.
 *
 * Example:
 *     >>> LLMBudget.parse("tokens:20000,seconds:60")
 *     LLMBudget(max_tokens=20000, max_seconds=60.0, max_cost_usd=None, prices=None)
 *     >>> LLMBudget.parse("usd:0.5,price_in:0.15,price_out:0.6").prices.output_usd_per_mtok
 *     0.6
 */
export interface LLMBudget {
  max_cost_usd?: MaxCostUsd;
  max_seconds?: MaxSeconds;
  max_tokens?: MaxTokens;
  prices?: TokenPrices | null;
}
/**
 * What an LLM's tokens cost, in US dollars per million tokens.
 */
export interface TokenPrices {
  input_usd_per_mtok: InputUsdPerMtok;
  output_usd_per_mtok: OutputUsdPerMtok;
}
/**
 * What a session's LLM calls cost so far: tokens (prompt + completion), seconds, dollars
 * (``None`` when no price is known).
 */
export interface LLMSpend {
  calls: Calls;
  cost_usd: CostUsd;
  seconds: Seconds;
  tokens: Tokens;
  [k: string]: unknown;
}
/**
 * The LLM's health changed (``llm_degraded``, ``llm_unavailable``, ``llm_recovered``);
 * the event's trial number is the first trial the change concerns.
 */
export interface LLMHealthChanged {
  permanent?: Permanent;
  previous: Previous;
  reason: Reason6;
  restarted?: Restarted;
  retry_in_s?: RetryInS;
  state: State;
  [k: string]: unknown;
}
/**
 * A rung of the race ended: each family's trials so far and best score, the
 * survivors (best first) and the dropped families with their reasons.
 */
export interface RungFinished {
  dropped?: Dropped;
  quota: Quota;
  rung: Rung;
  scores?: Scores;
  survivors?: Survivors;
  [k: string]: unknown;
}
/**
 * A family's trials up to the end of a rung: how many, and its best score.
 */
export interface FamilyScore {
  best_score?: BestScore1;
  best_trial?: BestTrial1;
  error?: Error;
  family: Family5;
  n_complete?: NComplete;
  n_failed?: NFailed;
  n_pruned?: NPruned;
  n_trials?: NTrials;
  [k: string]: unknown;
}
/**
 * A session and its study exist; ``spec`` is what it will run.
 */
export interface SessionCreated {
  spec: SessionSpec;
  [k: string]: unknown;
}
/**
 * Everything needed to run or resume a session, as stored (no secrets, no data).
 */
export interface SessionSpec {
  context?: Context;
  data_dir: DataDir;
  direction: Direction;
  ensemble?: Ensemble;
  families?: Families;
  isolation?: Isolation;
  llm?: Llm;
  llm_budget?: LLMBudget | null;
  metric: Metric1;
  mode?: Mode;
  n_folds?: NFolds;
  n_trials: NTrials1;
  options?: Options;
  seed?: Seed;
  task: Task;
  test_size?: TestSize;
  tool: Tool;
  trial_timeout_s?: TrialTimeoutS;
  [k: string]: unknown;
}
export interface Context {
  [k: string]: unknown;
}
export interface Llm {
  [k: string]: unknown;
}
export interface Options {
  [k: string]: unknown;
}
/**
 * A run failed: no trial completed, or the run itself raised.
 */
export interface SessionFailed {
  error: Error1;
  [k: string]: unknown;
}
/**
 * A run ended (``session_finished`` or ``session_stopped``): the session's result.
 */
export interface SessionEnded {
  best_config?: BestConfig;
  best_cv_score?: BestCvScore;
  best_family?: BestFamily;
  error?: Error2;
  final?: FinalEvaluation | null;
  llm_budget?: LLMBudgetStatus | null;
  llm_health?: LLMHealthSummary | null;
  n_complete: NComplete1;
  n_failed: NFailed1;
  n_fallbacks?: NFallbacks;
  n_llm_calls?: NLlmCalls;
  n_pruned: NPruned1;
  session_id: SessionId;
  status: Status;
  [k: string]: unknown;
}
/**
 * The best configuration refitted on the whole training split and scored once on the
 * held-out split, with a bootstrap 95% interval; and the ensemble of the best trials when
 * the session builds one (``ensemble``).
 */
export interface FinalEvaluation {
  ci_high: CiHigh2;
  ci_low: CiLow2;
  config: Config2;
  cv_score: CvScore3;
  ensemble?: EnsembleEvaluation | null;
  family?: Family6;
  metric: Metric2;
  n_test: NTest1;
  test_score: TestScore2;
  test_seed: TestSeed1;
  [k: string]: unknown;
}
export interface Config2 {
  [k: string]: unknown;
}
/**
 * A session's LLM budget against what it spent; ``spent_out`` once a call was refused
 * because the budget could not cover it (``reason`` says which limit).
 */
export interface LLMBudgetStatus {
  budget: LLMBudget;
  reason: Reason7;
  since_trial: SinceTrial;
  spent: LLMSpend;
  spent_out: SpentOut;
  [k: string]: unknown;
}
/**
 * What the LLM contributed to a session, and whether it really answered.
 *
 * ``state`` is ``off`` when the session ran without the LLM, ``unused`` when it never
 * needed a call; otherwise the last health state (``ok`` with failed calls is possible:
 * a malformed answer is a failed call of a working endpoint).
 */
export interface LLMHealthSummary {
  by_purpose?: ByPurpose;
  calls?: Calls1;
  calls_answered?: CallsAnswered;
  calls_failed?: CallsFailed;
  llm_trials?: LlmTrials;
  model_steps?: ModelSteps;
  reason?: Reason8;
  restarts?: Restarts;
  since_trial?: SinceTrial1;
  state: State1;
  steps_calling?: StepsCalling;
  trials_not_waiting?: TrialsNotWaiting;
  value?: Value;
  [k: string]: unknown;
}
/**
 * purpose → {"calls": n, "answered": n}
 */
export interface ByPurpose {
  [k: string]: {
    [k: string]: number;
  };
}
export interface CallsFailed {
  [k: string]: number;
}
/**
 * call kind → steps that made it
 */
export interface StepsCalling {
  [k: string]: number;
}
/**
 * call kind → its last estimated contribution
 */
export interface Value {
  [k: string]: CallValue;
}
/**
 * A running estimate of what one kind of LLM call contributes, with its 95% interval:
 * for proposals, their trials' mean percentile minus the statistical picks'; for the
 * surrogate, the rank correlation of its predictions with the results.
 */
export interface CallValue {
  estimate: Estimate;
  high: High;
  low: Low;
  n: N;
  [k: string]: unknown;
}
/**
 * A run began: the first start, a resume, or a joining worker.
 */
export interface SessionStarted {
  finished?: Finished;
  llm_model?: LlmModel;
  n_jobs?: NJobs;
  remaining?: Remaining;
  resumed?: Resumed;
  review?: Review;
  target?: Target;
  worker?: Worker;
  worker_id?: WorkerId;
  [k: string]: unknown;
}
/**
 * What the engine proposes for a trial, with its reasons.
 */
export interface SuggestionMade {
  acquisition?: Acquisition;
  config: Config3;
  fallback?: Fallback2;
  initial?: Initial;
  llm_asked?: LlmAsked;
  llm_pred?: LlmPred;
  llm_ready?: LlmReady;
  llm_schedule?: LlmSchedule;
  llm_std?: LlmStd;
  llm_weight?: LlmWeight;
  planned_at?: PlannedAt;
  predicted?: Predicted;
  rationale?: Rationale1;
  rejected?: Rejected;
  source: Source2;
  stat_pred?: StatPred;
  stat_std?: StatStd;
  target?: Target1;
  [k: string]: unknown;
}
export interface Config3 {
  [k: string]: unknown;
}
export interface LlmSchedule {
  [k: string]: CallDecision;
}
/**
 * Whether a model-based step made one kind of LLM call, why, and on what evidence.
 */
export interface CallDecision {
  call: Call;
  calls?: Calls2;
  reason: Reason9;
  value?: CallValue | null;
  [k: string]: unknown;
}
/**
 * ``model="auto"``: the family chosen, the LLM's rationale, and why it fell back;
 * ``race`` says why no race across families was run, when there were several to race.
 */
export interface ToolChosen {
  fallback?: Fallback3;
  race?: Race;
  rationale?: Rationale2;
  requested?: Requested1;
  tool: Tool1;
  [k: string]: unknown;
}
/**
 * A trial left running by a process that died, marked failed.
 */
export interface TrialAbandoned {
  params?: Params;
  reason?: Reason10;
  [k: string]: unknown;
}
export interface Params {
  [k: string]: unknown;
}
/**
 * How a trial ended; ``rejected`` when a person rejected it in review mode.
 */
export interface TrialFinished {
  config?: Config4;
  device?: Device;
  duration_s?: DurationS;
  error?: Error3;
  intermediate_values?: IntermediateValues;
  seed?: Seed1;
  status: Status1;
  traceback?: Traceback;
  value?: Value1;
  [k: string]: unknown;
}
export interface Config4 {
  [k: string]: unknown;
}
/**
 * A trial's configuration went to a worker.
 */
export interface TrialStarted {
  config?: Config5;
  family?: Family7;
  worker_id?: WorkerId1;
  [k: string]: unknown;
}
export interface Config5 {
  [k: string]: unknown;
}
/**
 * A person's decision, written by a face and read by the running session: ``stop``
 * (the session), or ``accept``/``reject``/``edit`` (the suggestion for ``trial``).
 */
export interface UserAction {
  action: Action;
  config?: Config6;
  trial?: Trial1;
  [k: string]: unknown;
}
/**
 * A session as its event stream tells it; ``started`` is the last run's start.
 */
export interface SessionView {
  direction: Direction1;
  error: Error4;
  final: FinalEvaluation | null;
  health: LLMHealthState;
  last_event_id: LastEventId;
  metric: Metric3;
  n_fallbacks: NFallbacks1;
  n_invalid: NInvalid;
  n_trials: NTrials2;
  race: RaceView | null;
  review: Review1;
  started: SessionStarted | null;
  state: State3;
  tool: Tool2;
  trials: Trials;
  [k: string]: unknown;
}
/**
 * The LLM's health as the event stream tells it so far; ``since_trial`` is the trial
 * where the current state (trouble of either kind, or health) began.
 */
export interface LLMHealthState {
  reason: Reason11;
  restarts: Restarts1;
  since_trial: SinceTrial2;
  state: State2;
  [k: string]: unknown;
}
/**
 * ``model="auto"``: the families considered, each rung's decision, and the winner.
 */
export interface RaceView {
  chosen: FamilyChosen | null;
  considered: FamiliesConsidered | null;
  rungs: Rungs;
  [k: string]: unknown;
}
export interface Trials {
  [k: string]: TrialRow;
}
/**
 * One trial as the events tell it so far; ``suggestion`` and ``outcome`` are the
 * events' payloads as written, so a face reads any of their fields from here.
 */
export interface TrialRow {
  config: Config7;
  decision: Decision | null;
  duration_s: DurationS1;
  error: Error5;
  number: Number;
  outcome: TrialFinished | null;
  source: Source3;
  status: Status2;
  suggestion: SuggestionMade | null;
  value: Value2;
  [k: string]: unknown;
}
export interface Config7 {
  [k: string]: unknown;
}
/**
 * A person's decision on a trial's suggestion (review mode).
 */
export interface Decision {
  action: Action1;
  config: Config8;
  [k: string]: unknown;
}
export interface Config8 {
  [k: string]: unknown;
}

/** The JSON Schema these types come from: the sidebar checks payloads against it. */
export const EVENTS_SCHEMA = {
  "$defs": {
    "CallDecision": {
      "description": "Whether a model-based step made one kind of LLM call, why, and on what evidence.",
      "properties": {
        "call": {
          "title": "Call",
          "type": "boolean"
        },
        "calls": {
          "default": 0,
          "description": "steps that made this call before this one",
          "title": "Calls",
          "type": "integer"
        },
        "reason": {
          "title": "Reason",
          "type": "string"
        },
        "value": {
          "anyOf": [
            {
              "$ref": "#/$defs/CallValue"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        }
      },
      "required": [
        "call",
        "reason"
      ],
      "title": "CallDecision",
      "type": "object"
    },
    "CallValue": {
      "description": "A running estimate of what one kind of LLM call contributes, with its 95% interval:\nfor proposals, their trials' mean percentile minus the statistical picks'; for the\nsurrogate, the rank correlation of its predictions with the results.",
      "properties": {
        "estimate": {
          "title": "Estimate",
          "type": "number"
        },
        "high": {
          "title": "High",
          "type": "number"
        },
        "low": {
          "title": "Low",
          "type": "number"
        },
        "n": {
          "description": "the trials the estimate rests on",
          "title": "N",
          "type": "integer"
        }
      },
      "required": [
        "estimate",
        "low",
        "high",
        "n"
      ],
      "title": "CallValue",
      "type": "object"
    },
    "Decision": {
      "description": "A person's decision on a trial's suggestion (review mode).",
      "properties": {
        "action": {
          "enum": [
            "accept",
            "reject",
            "edit"
          ],
          "title": "Action",
          "type": "string"
        },
        "config": {
          "additionalProperties": true,
          "title": "Config",
          "type": "object"
        }
      },
      "required": [
        "action",
        "config"
      ],
      "title": "Decision",
      "type": "object"
    },
    "EnsembleEvaluation": {
      "description": "The greedy ensemble of the best trials (see :mod:`assistant.ensemble`), and whether\nit was kept as the session's model.\n\n``cv_score`` is cross-fitted (weights chosen on the other folds, scored on each fold);\n``best_single_cv`` is the best candidate's score on the same folds. The ensemble is\nkept only when ``cv_score`` beats it; the held-out score (``test_score`` with its\ninterval) is measured either way when the blend has two members or more, so both can be\ncompared, but it never decides.",
      "properties": {
        "best_single_cv": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Best Single Cv"
        },
        "ci_high": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Ci High"
        },
        "ci_low": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Ci Low"
        },
        "cv_score": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Cv Score"
        },
        "kept": {
          "title": "Kept",
          "type": "boolean"
        },
        "members": {
          "items": {
            "$ref": "#/$defs/EnsembleMember"
          },
          "title": "Members",
          "type": "array"
        },
        "n_candidates": {
          "title": "N Candidates",
          "type": "integer"
        },
        "reason": {
          "title": "Reason",
          "type": "string"
        },
        "test_score": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Test Score"
        }
      },
      "required": [
        "kept",
        "reason",
        "n_candidates"
      ],
      "title": "EnsembleEvaluation",
      "type": "object"
    },
    "EnsembleMember": {
      "description": "One tuned configuration in an ensemble, with its weight (share of selection rounds).",
      "properties": {
        "config": {
          "additionalProperties": true,
          "title": "Config",
          "type": "object"
        },
        "cv_score": {
          "title": "Cv Score",
          "type": "number"
        },
        "family": {
          "title": "Family",
          "type": "string"
        },
        "trial": {
          "title": "Trial",
          "type": "integer"
        },
        "weight": {
          "title": "Weight",
          "type": "number"
        }
      },
      "required": [
        "trial",
        "family",
        "config",
        "weight",
        "cv_score"
      ],
      "title": "EnsembleMember",
      "type": "object"
    },
    "Fallback": {
      "additionalProperties": true,
      "description": "The LLM could not be used for a step; the statistical path was.",
      "properties": {
        "reason": {
          "title": "Reason",
          "type": "string"
        },
        "source": {
          "anyOf": [
            {
              "enum": [
                "default",
                "warmstart",
                "llm",
                "statistical",
                "quasi_random",
                "user"
              ],
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Source"
        }
      },
      "required": [
        "reason"
      ],
      "title": "Fallback",
      "type": "object"
    },
    "FamiliesConsidered": {
      "additionalProperties": true,
      "description": "``model=\"auto\"``: the families that race, in order, each with why it takes part; the\nones left out and why; the LLM's pick and rationale (or why it was not asked or not\nused). The measured scores, not this order, decide the winner.",
      "properties": {
        "candidates": {
          "items": {
            "$ref": "#/$defs/FamilyCandidate"
          },
          "title": "Candidates",
          "type": "array"
        },
        "fallback": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Fallback"
        },
        "llm_pick": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Llm Pick"
        },
        "rationale": {
          "default": "",
          "title": "Rationale",
          "type": "string"
        },
        "requested": {
          "anyOf": [
            {
              "items": {
                "type": "string"
              },
              "type": "array"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Requested"
        },
        "skipped": {
          "items": {
            "$ref": "#/$defs/FamilyDropped"
          },
          "title": "Skipped",
          "type": "array"
        }
      },
      "title": "FamiliesConsidered",
      "type": "object"
    },
    "FamilyCandidate": {
      "description": "A family that takes part, and why: the LLM's pick, the default order, or the user's\nlist.",
      "properties": {
        "family": {
          "title": "Family",
          "type": "string"
        },
        "reason": {
          "title": "Reason",
          "type": "string"
        },
        "source": {
          "enum": [
            "llm",
            "default",
            "user"
          ],
          "title": "Source",
          "type": "string"
        }
      },
      "required": [
        "family",
        "reason",
        "source"
      ],
      "title": "FamilyCandidate",
      "type": "object"
    },
    "FamilyChosen": {
      "additionalProperties": true,
      "description": "The race ended: the family of the best trial over all families, and why.",
      "properties": {
        "best_score": {
          "title": "Best Score",
          "type": "number"
        },
        "best_trial": {
          "title": "Best Trial",
          "type": "integer"
        },
        "family": {
          "title": "Family",
          "type": "string"
        },
        "reason": {
          "default": "",
          "title": "Reason",
          "type": "string"
        },
        "timed_out": {
          "default": false,
          "title": "Timed Out",
          "type": "boolean"
        }
      },
      "required": [
        "family",
        "best_score",
        "best_trial"
      ],
      "title": "FamilyChosen",
      "type": "object"
    },
    "FamilyDropped": {
      "description": "A family left out (not installed, unsupported) or dropped after a rung, and why.",
      "properties": {
        "family": {
          "title": "Family",
          "type": "string"
        },
        "reason": {
          "title": "Reason",
          "type": "string"
        }
      },
      "required": [
        "family",
        "reason"
      ],
      "title": "FamilyDropped",
      "type": "object"
    },
    "FamilyScore": {
      "description": "A family's trials up to the end of a rung: how many, and its best score.",
      "properties": {
        "best_score": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Best Score"
        },
        "best_trial": {
          "anyOf": [
            {
              "type": "integer"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Best Trial"
        },
        "error": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Error"
        },
        "family": {
          "title": "Family",
          "type": "string"
        },
        "n_complete": {
          "default": 0,
          "title": "N Complete",
          "type": "integer"
        },
        "n_failed": {
          "default": 0,
          "title": "N Failed",
          "type": "integer"
        },
        "n_pruned": {
          "default": 0,
          "title": "N Pruned",
          "type": "integer"
        },
        "n_trials": {
          "default": 0,
          "title": "N Trials",
          "type": "integer"
        }
      },
      "required": [
        "family"
      ],
      "title": "FamilyScore",
      "type": "object"
    },
    "FinalEvaluated": {
      "additionalProperties": true,
      "description": "The held-out score of the best configuration.",
      "properties": {
        "ci_high": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "title": "Ci High"
        },
        "ci_low": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "title": "Ci Low"
        },
        "config": {
          "additionalProperties": true,
          "title": "Config",
          "type": "object"
        },
        "cv_score": {
          "title": "Cv Score",
          "type": "number"
        },
        "ensemble": {
          "anyOf": [
            {
              "$ref": "#/$defs/EnsembleEvaluation"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "family": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Family"
        },
        "metric": {
          "title": "Metric",
          "type": "string"
        },
        "n_test": {
          "title": "N Test",
          "type": "integer"
        },
        "test_score": {
          "title": "Test Score",
          "type": "number"
        },
        "test_seed": {
          "title": "Test Seed",
          "type": "integer"
        }
      },
      "required": [
        "config",
        "metric",
        "cv_score",
        "test_score",
        "ci_low",
        "ci_high",
        "n_test",
        "test_seed"
      ],
      "title": "FinalEvaluated",
      "type": "object"
    },
    "FinalEvaluation": {
      "description": "The best configuration refitted on the whole training split and scored once on the\nheld-out split, with a bootstrap 95% interval; and the ensemble of the best trials when\nthe session builds one (``ensemble``).",
      "properties": {
        "ci_high": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "title": "Ci High"
        },
        "ci_low": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "title": "Ci Low"
        },
        "config": {
          "additionalProperties": true,
          "title": "Config",
          "type": "object"
        },
        "cv_score": {
          "title": "Cv Score",
          "type": "number"
        },
        "ensemble": {
          "anyOf": [
            {
              "$ref": "#/$defs/EnsembleEvaluation"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "family": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Family"
        },
        "metric": {
          "title": "Metric",
          "type": "string"
        },
        "n_test": {
          "title": "N Test",
          "type": "integer"
        },
        "test_score": {
          "title": "Test Score",
          "type": "number"
        },
        "test_seed": {
          "title": "Test Seed",
          "type": "integer"
        }
      },
      "required": [
        "config",
        "metric",
        "cv_score",
        "test_score",
        "ci_low",
        "ci_high",
        "n_test",
        "test_seed"
      ],
      "title": "FinalEvaluation",
      "type": "object"
    },
    "LLMBudget": {
      "additionalProperties": false,
      "description": "The most a session may spend on its LLM: tokens (prompt and completion together),\nseconds of LLM time (the calls' durations added up) and, with prices given or known for\nthe model, US dollars. Any limit left ``None`` is not enforced; at least one is set.\n\nExample:\n    >>> LLMBudget.parse(\"tokens:20000,seconds:60\")\n    LLMBudget(max_tokens=20000, max_seconds=60.0, max_cost_usd=None, prices=None)\n    >>> LLMBudget.parse(\"usd:0.5,price_in:0.15,price_out:0.6\").prices.output_usd_per_mtok\n    0.6",
      "properties": {
        "max_cost_usd": {
          "anyOf": [
            {
              "exclusiveMinimum": 0.0,
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Max Cost Usd"
        },
        "max_seconds": {
          "anyOf": [
            {
              "exclusiveMinimum": 0.0,
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Max Seconds"
        },
        "max_tokens": {
          "anyOf": [
            {
              "minimum": 1,
              "type": "integer"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Max Tokens"
        },
        "prices": {
          "anyOf": [
            {
              "$ref": "#/$defs/TokenPrices"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        }
      },
      "title": "LLMBudget",
      "type": "object"
    },
    "LLMBudgetSpent": {
      "additionalProperties": true,
      "description": "The session's LLM budget could not cover a call (``reason``: the limit, ``tokens``,\n``seconds`` or ``usd``): it was not sent, and no later one will be; the search goes on\nstatistically. The event's trial number is the first trial planned without the LLM.",
      "properties": {
        "budget": {
          "$ref": "#/$defs/LLMBudget"
        },
        "reason": {
          "title": "Reason",
          "type": "string"
        },
        "spent": {
          "$ref": "#/$defs/LLMSpend"
        }
      },
      "required": [
        "reason",
        "budget",
        "spent"
      ],
      "title": "LLMBudgetSpent",
      "type": "object"
    },
    "LLMBudgetStatus": {
      "description": "A session's LLM budget against what it spent; ``spent_out`` once a call was refused\nbecause the budget could not cover it (``reason`` says which limit).",
      "properties": {
        "budget": {
          "$ref": "#/$defs/LLMBudget"
        },
        "reason": {
          "default": "",
          "title": "Reason",
          "type": "string"
        },
        "since_trial": {
          "anyOf": [
            {
              "type": "integer"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Since Trial"
        },
        "spent": {
          "$ref": "#/$defs/LLMSpend"
        },
        "spent_out": {
          "default": false,
          "title": "Spent Out",
          "type": "boolean"
        }
      },
      "required": [
        "budget",
        "spent",
        "spent_out",
        "reason",
        "since_trial"
      ],
      "title": "LLMBudgetStatus",
      "type": "object"
    },
    "LLMHealthChanged": {
      "additionalProperties": true,
      "description": "The LLM's health changed (``llm_degraded``, ``llm_unavailable``, ``llm_recovered``);\nthe event's trial number is the first trial the change concerns.",
      "properties": {
        "permanent": {
          "default": false,
          "title": "Permanent",
          "type": "boolean"
        },
        "previous": {
          "enum": [
            "ok",
            "degraded",
            "unavailable"
          ],
          "title": "Previous",
          "type": "string"
        },
        "reason": {
          "title": "Reason",
          "type": "string"
        },
        "restarted": {
          "default": false,
          "title": "Restarted",
          "type": "boolean"
        },
        "retry_in_s": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Retry In S"
        },
        "state": {
          "enum": [
            "ok",
            "degraded",
            "unavailable"
          ],
          "title": "State",
          "type": "string"
        }
      },
      "required": [
        "state",
        "previous",
        "reason"
      ],
      "title": "LLMHealthChanged",
      "type": "object"
    },
    "LLMHealthState": {
      "description": "The LLM's health as the event stream tells it so far; ``since_trial`` is the trial\nwhere the current state (trouble of either kind, or health) began.",
      "properties": {
        "reason": {
          "default": "",
          "title": "Reason",
          "type": "string"
        },
        "restarts": {
          "default": 0,
          "title": "Restarts",
          "type": "integer"
        },
        "since_trial": {
          "anyOf": [
            {
              "type": "integer"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Since Trial"
        },
        "state": {
          "default": "ok",
          "enum": [
            "ok",
            "degraded",
            "unavailable"
          ],
          "title": "State",
          "type": "string"
        }
      },
      "required": [
        "state",
        "reason",
        "since_trial",
        "restarts"
      ],
      "title": "LLMHealthState",
      "type": "object"
    },
    "LLMHealthSummary": {
      "description": "What the LLM contributed to a session, and whether it really answered.\n\n``state`` is ``off`` when the session ran without the LLM, ``unused`` when it never\nneeded a call; otherwise the last health state (``ok`` with failed calls is possible:\na malformed answer is a failed call of a working endpoint).",
      "properties": {
        "by_purpose": {
          "additionalProperties": {
            "additionalProperties": {
              "type": "integer"
            },
            "type": "object"
          },
          "description": "purpose \u2192 {\"calls\": n, \"answered\": n}",
          "title": "By Purpose",
          "type": "object"
        },
        "calls": {
          "default": 0,
          "title": "Calls",
          "type": "integer"
        },
        "calls_answered": {
          "default": 0,
          "title": "Calls Answered",
          "type": "integer"
        },
        "calls_failed": {
          "additionalProperties": {
            "type": "integer"
          },
          "title": "Calls Failed",
          "type": "object"
        },
        "llm_trials": {
          "default": 0,
          "title": "Llm Trials",
          "type": "integer"
        },
        "model_steps": {
          "default": 0,
          "title": "Model Steps",
          "type": "integer"
        },
        "reason": {
          "default": "",
          "title": "Reason",
          "type": "string"
        },
        "restarts": {
          "default": 0,
          "title": "Restarts",
          "type": "integer"
        },
        "since_trial": {
          "anyOf": [
            {
              "type": "integer"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Since Trial"
        },
        "state": {
          "enum": [
            "ok",
            "degraded",
            "unavailable",
            "off",
            "unused"
          ],
          "title": "State",
          "type": "string"
        },
        "steps_calling": {
          "additionalProperties": {
            "type": "integer"
          },
          "description": "call kind \u2192 steps that made it",
          "title": "Steps Calling",
          "type": "object"
        },
        "trials_not_waiting": {
          "default": 0,
          "title": "Trials Not Waiting",
          "type": "integer"
        },
        "value": {
          "additionalProperties": {
            "$ref": "#/$defs/CallValue"
          },
          "description": "call kind \u2192 its last estimated contribution",
          "title": "Value",
          "type": "object"
        }
      },
      "required": [
        "state"
      ],
      "title": "LLMHealthSummary",
      "type": "object"
    },
    "LLMSpend": {
      "description": "What a session's LLM calls cost so far: tokens (prompt + completion), seconds, dollars\n(``None`` when no price is known).",
      "properties": {
        "calls": {
          "default": 0,
          "title": "Calls",
          "type": "integer"
        },
        "cost_usd": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Cost Usd"
        },
        "seconds": {
          "default": 0.0,
          "title": "Seconds",
          "type": "number"
        },
        "tokens": {
          "default": 0,
          "title": "Tokens",
          "type": "integer"
        }
      },
      "required": [
        "calls",
        "tokens",
        "seconds",
        "cost_usd"
      ],
      "title": "LLMSpend",
      "type": "object"
    },
    "RaceView": {
      "description": "``model=\"auto\"``: the families considered, each rung's decision, and the winner.",
      "properties": {
        "chosen": {
          "anyOf": [
            {
              "$ref": "#/$defs/FamilyChosen"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "considered": {
          "anyOf": [
            {
              "$ref": "#/$defs/FamiliesConsidered"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "rungs": {
          "items": {
            "$ref": "#/$defs/RungFinished"
          },
          "title": "Rungs",
          "type": "array"
        }
      },
      "required": [
        "considered",
        "rungs",
        "chosen"
      ],
      "title": "RaceView",
      "type": "object"
    },
    "RungFinished": {
      "additionalProperties": true,
      "description": "A rung of the race ended: each family's trials so far and best score, the\nsurvivors (best first) and the dropped families with their reasons.",
      "properties": {
        "dropped": {
          "items": {
            "$ref": "#/$defs/FamilyDropped"
          },
          "title": "Dropped",
          "type": "array"
        },
        "quota": {
          "title": "Quota",
          "type": "integer"
        },
        "rung": {
          "title": "Rung",
          "type": "integer"
        },
        "scores": {
          "items": {
            "$ref": "#/$defs/FamilyScore"
          },
          "title": "Scores",
          "type": "array"
        },
        "survivors": {
          "items": {
            "type": "string"
          },
          "title": "Survivors",
          "type": "array"
        }
      },
      "required": [
        "rung",
        "quota"
      ],
      "title": "RungFinished",
      "type": "object"
    },
    "SessionCreated": {
      "additionalProperties": true,
      "description": "A session and its study exist; ``spec`` is what it will run.",
      "properties": {
        "spec": {
          "$ref": "#/$defs/SessionSpec"
        }
      },
      "required": [
        "spec"
      ],
      "title": "SessionCreated",
      "type": "object"
    },
    "SessionEnded": {
      "additionalProperties": true,
      "description": "A run ended (``session_finished`` or ``session_stopped``): the session's result.",
      "properties": {
        "best_config": {
          "anyOf": [
            {
              "additionalProperties": true,
              "type": "object"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Best Config"
        },
        "best_cv_score": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Best Cv Score"
        },
        "best_family": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Best Family"
        },
        "error": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Error"
        },
        "final": {
          "anyOf": [
            {
              "$ref": "#/$defs/FinalEvaluation"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "llm_budget": {
          "anyOf": [
            {
              "$ref": "#/$defs/LLMBudgetStatus"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "llm_health": {
          "anyOf": [
            {
              "$ref": "#/$defs/LLMHealthSummary"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "n_complete": {
          "title": "N Complete",
          "type": "integer"
        },
        "n_failed": {
          "title": "N Failed",
          "type": "integer"
        },
        "n_fallbacks": {
          "default": 0,
          "title": "N Fallbacks",
          "type": "integer"
        },
        "n_llm_calls": {
          "default": 0,
          "title": "N Llm Calls",
          "type": "integer"
        },
        "n_pruned": {
          "title": "N Pruned",
          "type": "integer"
        },
        "session_id": {
          "title": "Session Id",
          "type": "string"
        },
        "status": {
          "title": "Status",
          "type": "string"
        }
      },
      "required": [
        "session_id",
        "status",
        "n_complete",
        "n_failed",
        "n_pruned"
      ],
      "title": "SessionEnded",
      "type": "object"
    },
    "SessionFailed": {
      "additionalProperties": true,
      "description": "A run failed: no trial completed, or the run itself raised.",
      "properties": {
        "error": {
          "title": "Error",
          "type": "string"
        }
      },
      "required": [
        "error"
      ],
      "title": "SessionFailed",
      "type": "object"
    },
    "SessionSpec": {
      "description": "Everything needed to run or resume a session, as stored (no secrets, no data).",
      "properties": {
        "context": {
          "additionalProperties": true,
          "title": "Context",
          "type": "object"
        },
        "data_dir": {
          "title": "Data Dir",
          "type": "string"
        },
        "direction": {
          "enum": [
            "minimize",
            "maximize"
          ],
          "title": "Direction",
          "type": "string"
        },
        "ensemble": {
          "default": false,
          "title": "Ensemble",
          "type": "boolean"
        },
        "families": {
          "anyOf": [
            {
              "items": {
                "type": "string"
              },
              "type": "array"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Families"
        },
        "isolation": {
          "default": "process",
          "enum": [
            "process",
            "inline"
          ],
          "title": "Isolation",
          "type": "string"
        },
        "llm": {
          "additionalProperties": true,
          "title": "Llm",
          "type": "object"
        },
        "llm_budget": {
          "anyOf": [
            {
              "$ref": "#/$defs/LLMBudget"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "metric": {
          "title": "Metric",
          "type": "string"
        },
        "mode": {
          "default": "full",
          "enum": [
            "off",
            "warmstart",
            "full"
          ],
          "title": "Mode",
          "type": "string"
        },
        "n_folds": {
          "default": 5,
          "minimum": 2,
          "title": "N Folds",
          "type": "integer"
        },
        "n_trials": {
          "minimum": 1,
          "title": "N Trials",
          "type": "integer"
        },
        "options": {
          "additionalProperties": true,
          "title": "Options",
          "type": "object"
        },
        "seed": {
          "default": 0,
          "title": "Seed",
          "type": "integer"
        },
        "task": {
          "enum": [
            "classification",
            "regression"
          ],
          "title": "Task",
          "type": "string"
        },
        "test_size": {
          "default": 0.2,
          "exclusiveMaximum": 1.0,
          "exclusiveMinimum": 0.0,
          "title": "Test Size",
          "type": "number"
        },
        "tool": {
          "title": "Tool",
          "type": "string"
        },
        "trial_timeout_s": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Trial Timeout S"
        }
      },
      "required": [
        "tool",
        "task",
        "metric",
        "direction",
        "n_trials",
        "data_dir"
      ],
      "title": "SessionSpec",
      "type": "object"
    },
    "SessionStarted": {
      "additionalProperties": true,
      "description": "A run began: the first start, a resume, or a joining worker.",
      "properties": {
        "finished": {
          "default": 0,
          "title": "Finished",
          "type": "integer"
        },
        "llm_model": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Llm Model"
        },
        "n_jobs": {
          "default": 1,
          "title": "N Jobs",
          "type": "integer"
        },
        "remaining": {
          "default": 0,
          "title": "Remaining",
          "type": "integer"
        },
        "resumed": {
          "default": false,
          "title": "Resumed",
          "type": "boolean"
        },
        "review": {
          "default": false,
          "title": "Review",
          "type": "boolean"
        },
        "target": {
          "anyOf": [
            {
              "type": "integer"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Target"
        },
        "worker": {
          "default": false,
          "title": "Worker",
          "type": "boolean"
        },
        "worker_id": {
          "default": "",
          "title": "Worker Id",
          "type": "string"
        }
      },
      "title": "SessionStarted",
      "type": "object"
    },
    "SessionView": {
      "description": "A session as its event stream tells it; ``started`` is the last run's start.",
      "properties": {
        "direction": {
          "default": "maximize",
          "enum": [
            "minimize",
            "maximize"
          ],
          "title": "Direction",
          "type": "string"
        },
        "error": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Error"
        },
        "final": {
          "anyOf": [
            {
              "$ref": "#/$defs/FinalEvaluation"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "health": {
          "$ref": "#/$defs/LLMHealthState"
        },
        "last_event_id": {
          "default": 0,
          "title": "Last Event Id",
          "type": "integer"
        },
        "metric": {
          "default": "score",
          "title": "Metric",
          "type": "string"
        },
        "n_fallbacks": {
          "default": 0,
          "title": "N Fallbacks",
          "type": "integer"
        },
        "n_invalid": {
          "default": 0,
          "title": "N Invalid",
          "type": "integer"
        },
        "n_trials": {
          "anyOf": [
            {
              "type": "integer"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "N Trials"
        },
        "race": {
          "anyOf": [
            {
              "$ref": "#/$defs/RaceView"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "review": {
          "default": false,
          "title": "Review",
          "type": "boolean"
        },
        "started": {
          "anyOf": [
            {
              "$ref": "#/$defs/SessionStarted"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "state": {
          "default": "",
          "enum": [
            "",
            "created",
            "running",
            "finished",
            "stopped",
            "failed"
          ],
          "title": "State",
          "type": "string"
        },
        "tool": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Tool"
        },
        "trials": {
          "additionalProperties": {
            "$ref": "#/$defs/TrialRow"
          },
          "title": "Trials",
          "type": "object"
        }
      },
      "required": [
        "state",
        "error",
        "metric",
        "direction",
        "n_trials",
        "tool",
        "review",
        "started",
        "trials",
        "health",
        "n_fallbacks",
        "race",
        "final",
        "n_invalid",
        "last_event_id"
      ],
      "title": "SessionView",
      "type": "object"
    },
    "SuggestionMade": {
      "additionalProperties": true,
      "description": "What the engine proposes for a trial, with its reasons.",
      "properties": {
        "acquisition": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Acquisition"
        },
        "config": {
          "additionalProperties": true,
          "title": "Config",
          "type": "object"
        },
        "fallback": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Fallback"
        },
        "initial": {
          "default": false,
          "title": "Initial",
          "type": "boolean"
        },
        "llm_asked": {
          "items": {
            "enum": [
              "propose",
              "surrogate"
            ],
            "type": "string"
          },
          "title": "Llm Asked",
          "type": "array"
        },
        "llm_pred": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Llm Pred"
        },
        "llm_ready": {
          "anyOf": [
            {
              "type": "boolean"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Llm Ready"
        },
        "llm_schedule": {
          "additionalProperties": {
            "$ref": "#/$defs/CallDecision"
          },
          "title": "Llm Schedule",
          "type": "object"
        },
        "llm_std": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Llm Std"
        },
        "llm_weight": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Llm Weight"
        },
        "planned_at": {
          "anyOf": [
            {
              "type": "integer"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Planned At"
        },
        "predicted": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Predicted"
        },
        "rationale": {
          "default": "",
          "title": "Rationale",
          "type": "string"
        },
        "rejected": {
          "items": {
            "type": "string"
          },
          "title": "Rejected",
          "type": "array"
        },
        "source": {
          "enum": [
            "default",
            "warmstart",
            "llm",
            "statistical",
            "quasi_random",
            "user"
          ],
          "title": "Source",
          "type": "string"
        },
        "stat_pred": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Stat Pred"
        },
        "stat_std": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Stat Std"
        },
        "target": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Target"
        }
      },
      "required": [
        "config",
        "source"
      ],
      "title": "SuggestionMade",
      "type": "object"
    },
    "TokenPrices": {
      "additionalProperties": false,
      "description": "What an LLM's tokens cost, in US dollars per million tokens.",
      "properties": {
        "input_usd_per_mtok": {
          "minimum": 0.0,
          "title": "Input Usd Per Mtok",
          "type": "number"
        },
        "output_usd_per_mtok": {
          "minimum": 0.0,
          "title": "Output Usd Per Mtok",
          "type": "number"
        }
      },
      "required": [
        "input_usd_per_mtok",
        "output_usd_per_mtok"
      ],
      "title": "TokenPrices",
      "type": "object"
    },
    "ToolChosen": {
      "additionalProperties": true,
      "description": "``model=\"auto\"``: the family chosen, the LLM's rationale, and why it fell back;\n``race`` says why no race across families was run, when there were several to race.",
      "properties": {
        "fallback": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Fallback"
        },
        "race": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Race"
        },
        "rationale": {
          "default": "",
          "title": "Rationale",
          "type": "string"
        },
        "requested": {
          "anyOf": [
            {
              "items": {
                "type": "string"
              },
              "type": "array"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Requested"
        },
        "tool": {
          "title": "Tool",
          "type": "string"
        }
      },
      "required": [
        "tool"
      ],
      "title": "ToolChosen",
      "type": "object"
    },
    "TrialAbandoned": {
      "additionalProperties": true,
      "description": "A trial left running by a process that died, marked failed.",
      "properties": {
        "params": {
          "additionalProperties": true,
          "title": "Params",
          "type": "object"
        },
        "reason": {
          "default": "",
          "title": "Reason",
          "type": "string"
        }
      },
      "title": "TrialAbandoned",
      "type": "object"
    },
    "TrialFinished": {
      "additionalProperties": true,
      "description": "How a trial ended; ``rejected`` when a person rejected it in review mode.",
      "properties": {
        "config": {
          "additionalProperties": true,
          "title": "Config",
          "type": "object"
        },
        "device": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Device"
        },
        "duration_s": {
          "default": 0.0,
          "title": "Duration S",
          "type": "number"
        },
        "error": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Error"
        },
        "intermediate_values": {
          "items": {
            "maxItems": 2,
            "minItems": 2,
            "prefixItems": [
              {
                "type": "integer"
              },
              {
                "type": "number"
              }
            ],
            "type": "array"
          },
          "title": "Intermediate Values",
          "type": "array"
        },
        "seed": {
          "default": 0,
          "title": "Seed",
          "type": "integer"
        },
        "status": {
          "anyOf": [
            {
              "enum": [
                "complete",
                "failed",
                "pruned",
                "timeout"
              ],
              "type": "string"
            },
            {
              "const": "rejected",
              "type": "string"
            }
          ],
          "title": "Status"
        },
        "traceback": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Traceback"
        },
        "value": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Value"
        }
      },
      "required": [
        "status"
      ],
      "title": "TrialFinished",
      "type": "object"
    },
    "TrialRow": {
      "description": "One trial as the events tell it so far; ``suggestion`` and ``outcome`` are the\nevents' payloads as written, so a face reads any of their fields from here.",
      "properties": {
        "config": {
          "additionalProperties": true,
          "title": "Config",
          "type": "object"
        },
        "decision": {
          "anyOf": [
            {
              "$ref": "#/$defs/Decision"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "duration_s": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Duration S"
        },
        "error": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Error"
        },
        "number": {
          "title": "Number",
          "type": "integer"
        },
        "outcome": {
          "anyOf": [
            {
              "$ref": "#/$defs/TrialFinished"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "source": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Source"
        },
        "status": {
          "default": "suggested",
          "enum": [
            "suggested",
            "running",
            "complete",
            "pruned",
            "failed",
            "timeout",
            "rejected",
            "abandoned"
          ],
          "title": "Status",
          "type": "string"
        },
        "suggestion": {
          "anyOf": [
            {
              "$ref": "#/$defs/SuggestionMade"
            },
            {
              "type": "null"
            }
          ],
          "default": null
        },
        "value": {
          "anyOf": [
            {
              "type": "number"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Value"
        }
      },
      "required": [
        "number",
        "status",
        "config",
        "source",
        "value",
        "duration_s",
        "error",
        "suggestion",
        "outcome",
        "decision"
      ],
      "title": "TrialRow",
      "type": "object"
    },
    "TrialStarted": {
      "additionalProperties": true,
      "description": "A trial's configuration went to a worker.",
      "properties": {
        "config": {
          "additionalProperties": true,
          "title": "Config",
          "type": "object"
        },
        "family": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Family"
        },
        "worker_id": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Worker Id"
        }
      },
      "title": "TrialStarted",
      "type": "object"
    },
    "UserAction": {
      "additionalProperties": true,
      "description": "A person's decision, written by a face and read by the running session: ``stop``\n(the session), or ``accept``/``reject``/``edit`` (the suggestion for ``trial``).",
      "properties": {
        "action": {
          "enum": [
            "stop",
            "accept",
            "reject",
            "edit"
          ],
          "title": "Action",
          "type": "string"
        },
        "config": {
          "anyOf": [
            {
              "additionalProperties": true,
              "type": "object"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Config"
        },
        "trial": {
          "anyOf": [
            {
              "type": "integer"
            },
            {
              "type": "null"
            }
          ],
          "default": null,
          "title": "Trial"
        }
      },
      "required": [
        "action"
      ],
      "title": "UserAction",
      "type": "object"
    }
  },
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "additionalProperties": false,
  "description": "Payloads of the assistant's events by kind (assistant/events.py), and the view their fold makes (assistant/fold.py).",
  "properties": {
    "events": {
      "additionalProperties": false,
      "properties": {
        "fallback": {
          "$ref": "#/$defs/Fallback"
        },
        "families_considered": {
          "$ref": "#/$defs/FamiliesConsidered"
        },
        "family_chosen": {
          "$ref": "#/$defs/FamilyChosen"
        },
        "final_evaluation": {
          "$ref": "#/$defs/FinalEvaluated"
        },
        "llm_budget_spent": {
          "$ref": "#/$defs/LLMBudgetSpent"
        },
        "llm_degraded": {
          "$ref": "#/$defs/LLMHealthChanged"
        },
        "llm_recovered": {
          "$ref": "#/$defs/LLMHealthChanged"
        },
        "llm_unavailable": {
          "$ref": "#/$defs/LLMHealthChanged"
        },
        "rung_finished": {
          "$ref": "#/$defs/RungFinished"
        },
        "session_created": {
          "$ref": "#/$defs/SessionCreated"
        },
        "session_failed": {
          "$ref": "#/$defs/SessionFailed"
        },
        "session_finished": {
          "$ref": "#/$defs/SessionEnded"
        },
        "session_started": {
          "$ref": "#/$defs/SessionStarted"
        },
        "session_stopped": {
          "$ref": "#/$defs/SessionEnded"
        },
        "suggestion": {
          "$ref": "#/$defs/SuggestionMade"
        },
        "tool_chosen": {
          "$ref": "#/$defs/ToolChosen"
        },
        "trial_abandoned": {
          "$ref": "#/$defs/TrialAbandoned"
        },
        "trial_finished": {
          "$ref": "#/$defs/TrialFinished"
        },
        "trial_started": {
          "$ref": "#/$defs/TrialStarted"
        },
        "user_action": {
          "$ref": "#/$defs/UserAction"
        }
      },
      "required": [
        "fallback",
        "families_considered",
        "family_chosen",
        "final_evaluation",
        "llm_budget_spent",
        "llm_degraded",
        "llm_recovered",
        "llm_unavailable",
        "rung_finished",
        "session_created",
        "session_failed",
        "session_finished",
        "session_started",
        "session_stopped",
        "suggestion",
        "tool_chosen",
        "trial_abandoned",
        "trial_finished",
        "trial_started",
        "user_action"
      ],
      "title": "EventPayloads",
      "type": "object"
    },
    "view": {
      "$ref": "#/$defs/SessionView"
    }
  },
  "required": [
    "events",
    "view"
  ],
  "title": "AssistantSchema",
  "type": "object"
};
