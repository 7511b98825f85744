"""Sampler and prior configuration of the poll model, as plain frozen dataclasses.

Both are data: they serialise to JSON (``dataclasses.asdict``), and :func:`config_hash` fingerprints
them together with the model version so that a stored posterior can be matched to the code and
settings that produced it (``summarize.load_posterior`` refuses a mismatch).

Scales are on the **logit** scale of the Democratic two-party share unless the name says ``_prob``.
Near a 50% share one logit unit is a quarter of a probability unit (d logit / dp = 4 at p = 0.5), so
0.04 logit ~ 1 point of two-party share. The anchors are The Economist's 2020 model
(``/work/shared/ANCHORS.md`` section (c), "c3. Scales") and historical swings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Literal

SAMPLERS = ("nutpie", "pymc")


@dataclass(frozen=True)
class SamplerConfig:
    """How to sample. Every field is passed to ``pm.sample`` explicitly (never rely on its defaults).

    ``sampler``: "nutpie" (default; Rust threads, fastest here) or "pymc" (PyMC's own NUTS; needed for
    callbacks/ZarrTrace; uses multiprocessing with ``mp_ctx="forkserver"`` when ``cores > 1``).
    ``cores`` x BLAS threads x concurrent runs must fit the container's CPUs (2 on our machines).
    """

    sampler: Literal["nutpie", "pymc"] = "nutpie"
    # 1500 + 1500 (since model 2.6.0): with 1000 + 1000 the 2020 presidential fit's largest
    # Election-Day r-hat was 1.011 in two of nine fits and its slowest parameter's bulk ESS fell to 83
    # (publish gate 100); with 1500 every backtest row is at <= 1.007 and >= 299 (README, Backtests)
    draws: int = 1500
    tune: int = 1500
    chains: int = 2
    cores: int = 2
    target_accept: float = 0.9
    seed: int = 20261127
    adaptation: Literal["diag", "low_rank"] = "diag"

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        if self.draws < 1 or self.tune < 0 or self.chains < 1 or self.cores < 1:
            raise ValueError(f"invalid sampler sizes: {self}")
        if self.adaptation not in ("diag", "low_rank"):
            raise ValueError(f"adaptation must be 'diag' or 'low_rank', got {self.adaptation!r}")
        if not 0.5 <= self.target_accept < 1:
            raise ValueError(f"target_accept must be in [0.5, 1), got {self.target_accept}")


@dataclass(frozen=True)
class PriorConfig:
    """Every prior scale and structural setting of ``poll_model`` (version in ``poll_model.MODEL_VERSION``).

    Time grid
    ---------
    max_days: the latent trend starts at the first poll day but never earlier than ``max_days`` before
        Election Day. Polls ending before that window start are **dropped by the model** (counted in
        the posterior attrs ``n_polls_dropped_window``); the caller need not filter them. 240 days
        covers the general-election campaign (from about mid-March), like the Economist's March 1 cut.
    walk_step_days: spacing of the random-walk knots, counted back from Election Day. The trend between
        knots is linear on the logit scale, so ``trend`` is still daily. 1 = a true daily walk. The
        knot innovation sd is the daily sd x sqrt(step), so the total drift is unchanged. Measured on
        a synthetic 51-race, 2,000-poll, 210-day campaign (``benchmarks/bench_poll_model.py``, 2 x
        1000+1000 nutpie draws, 2 cores): step 1 -> 11,000 parameters, 139 s, national-walk ESS 77
        (r-hat 1.05); step 3 -> 3,800 parameters, ~80 s warm / ~135 s cold compile, every ESS > 600;
        step 7 -> similar to 3. Linear interpolation drops the within-step (Brownian-bridge) variance,
        so daily trend intervals between knots are slightly narrow (~0.3 point sd at step 3). With
        more than ~127 knots PyTensor 3.3 logs a harmless "Rewrite failure ... int8" traceback while
        nutpie compiles (an upstream slice-merge bug; the graph is still correct).

    Election-Day prior (centre: logit of the race's previous Dem two-party share)
    ------------------------------------------------------------------------------
    national_shift_sd = 0.10: one shift shared by every race. The RMS change of the national
        Democratic two-party share between consecutive presidential elections 2000-2024 is about
        2.6 points (-1.5, +4.9, -1.7, -0.9, +1.2, -3.1) = 0.105 logit. The Economist's national
        Election-Day sd is 0.03 prob = 0.12 logit, but around a fundamentals forecast, not last
        cycle's result; polls dominate this term for any race with polls.
    race_dev_sd = 0.08: race-specific departure from uniform swing (about 2 points at 50%, less near
        the tails). Cross-state sd of the state swing around the national swing was about 1.5-2
        points in 2020 and 2024, larger in 2016 (~3). Matters most for unpolled (safe) races.

    Random walk (reverse, anchored at Election Day), per day
    --------------------------------------------------------
    national_walk_sd = 0.0116: the Economist's ``random_walk_scale`` targets a national drift of
        0.05/sqrt(300) prob per day = 0.0029 prob = 0.0116 logit (5 points over 300 days).
    race_walk_sd = 0.0116: independent race innovations. With the shared national component, each
        race moves sd sqrt(2) x 0.0116 = 0.0164 logit/day, the Economist's implied average state sd
        (0.0041 prob/day), and two races' daily moves correlate 0.5, close to the Economist's mean
        implied state-state correlation (~0.53).

    Poll-level terms
    ----------------
    house_sd_mean = 0.05: prior mean of the house-effect sd, house_sd ~ Gamma(shape 4, mean 0.05)
        (95% prior interval 0.014-0.11 logit, i.e. 0.3-2.7 points). The Economist fixes house effects
        at N(0, 0.06) logit (1.5 points); typical published house effects are about 1 point of
        two-party share (0.04). Here the sd is learned; the shape-4 Gamma keeps it off zero, which
        removes the hierarchical funnel when there are few pollsters. House effects are a
        ZeroSumNormal over pollsters (the average pollster is unbiased).
    population_sd = 0.04: rv / a / v / unknown offsets against likely voters (the reference, 0), the
        Economist's N(0, 0.04) for population.
    poll_noise_sd_prob_scale = 0.02: HalfNormal scale of the extra per-poll sd on the **probability**
        scale, added in quadrature to the binomial sampling sd (design effects, question wording,
        field dates). The Economist uses 0.04 logit = 1 point; a HalfNormal(0.02) has median 1.3
        points and puts little mass above 4.

    Systematic polling error (forecast only)
    ----------------------------------------
    polling_error_national_sd = 0.052, polling_error_race_sd = 0.05: the chance that all polls of a
        race (and, jointly, all races) miss in the same direction. The polls cannot identify it, so it
        is added to the Election-Day latent when forming ``election_day_share`` and does not enter the
        likelihood (it leaves ``trend``, the poll average, untouched). The Economist's
        ``polling_bias_scale`` is 0.013 prob = 0.052 logit nationally with an implied average state sd
        of 0.018 prob = 0.072 logit, so the race-specific part is sqrt(0.072^2 - 0.052^2) = 0.05.
        Historical RMS national polling error is about 1.3 points (ANCHORS c3). Set both to 0 to
        forecast the poll average alone. Kremp's 2016 model was overconfident mainly because this
        term was tiny (ANCHORS c6).

    adjust_to = "poll": house effects and mode effects are centred so that the *average poll* of the
        fit gets no adjustment ("pollster": the average pollster, i.e. an unweighted sum-to-zero, as
        in the Economist's model). Either anchors the level of the polls, which the data cannot; the
        difference is who defines it. In 2020 the prolific pollsters leaned Republican against the
        many one- or two-poll pollsters, so the pollster anchor moved the state polls of the final
        three weeks 0.05 logit (1.3 points) towards Biden (house 0.03, mode 0.02), away from the
        result. 2020 president at 1 day out: Brier 0.0411 with the pollster anchor, 0.0367 with the
        poll anchor; pooled over the 13 backtested cycle x office rows 0.0432 -> 0.0425 (README).
    thin_overlapping_releases: keep one of a tracking series' overlapping releases (same race, pollster
        and sponsor; going back from the latest, a release is kept when it ended before the last kept
        one started, and of a poll's LV and RV versions the LV one), so that a respondent counts once.
        Off by default: the backtests decided against it. 538's 2020 file lists SurveyMonkey's daily
        four-week state windows (n ~ 10,000 each) and Morning Consult's and USC's rolling trackers:
        1,489 of the 3,694 presidential polls of the campaign overlap a later release of their series;
        LEO's Senate files list LV and RV samples of one poll as two polls (109 in 2010, 86 in 2012); the
        HuffPost files of 2008-2016 hold one release per window. With it on (in the model, the
        polling-error history and the poll-average baseline), the 14 one-day backtest rows went from
        Brier 0.0407 / RMSE 0.0314 / cov80 0.80 to 0.0411 / 0.0317 / 0.78: Senate better (2010 0.0380
        -> 0.0363, 2012 0.0249 -> 0.0235, 2018 0.0589 -> 0.0574) but 2020 president worse (0.0277 ->
        0.0331, cov80 0.76 -> 0.59; every state 0.5 point more Democratic). The trackers' count had
        been pulling the "average poll" that anchors the house effects (``adjust_to="poll"``) towards
        them, and in 2020 they leaned Republican of the field, towards the result. README, "Tried on
        2.5.1 and not adopted".
    one_population_version = True: of a poll's population versions (same race, pollster, sponsor, start
        and end date; LEO's Senate files list a poll's LV and RV samples as two polls, 80 pairs in 2010
        and 69 in 2012) only the likely-voter one counts (then RV, V, A), as in the Economist's
        preprocessing (``input.population_versions``). False counts every version in the model; the
        polling-error history and the poll-average baseline always count one.
    use_national_polls: link national polls to the turnout-weighted average of the races' shares. Only
        meaningful when the races' ``turnout_weight`` make up the national vote (president); national
        polls are ignored (counted in ``n_polls_dropped_national``) when this is False or when no race
        has a positive weight.
    """

    max_days: int = 240
    walk_step_days: int = 3
    national_shift_sd: float = 0.10
    race_dev_sd: float = 0.08
    national_walk_sd: float = 0.0116
    race_walk_sd: float = 0.0116
    house_sd_mean: float = 0.05
    population_sd: float = 0.04
    poll_noise_sd_prob_scale: float = 0.02
    polling_error_national_sd: float = 0.052
    polling_error_race_sd: float = 0.05
    polling_error_nu: float = 5.0
    mode_sd: float = 0.04
    sponsor_sd: float = 0.04
    use_national_polls: bool = True
    adjust_to: Literal["poll", "pollster"] = "poll"
    thin_overlapping_releases: bool = False
    one_population_version: bool = True

    def __post_init__(self) -> None:
        if self.max_days < 1:
            raise ValueError(f"max_days must be >= 1, got {self.max_days}")
        if self.walk_step_days < 1:
            raise ValueError(f"walk_step_days must be >= 1, got {self.walk_step_days}")
        if self.adjust_to not in ("poll", "pollster"):
            raise ValueError(f"adjust_to must be 'poll' or 'pollster', got {self.adjust_to!r}")
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float) and v < 0:
                raise ValueError(f"{f.name} must be >= 0, got {v}")
        for name in (
            "national_shift_sd",
            "race_dev_sd",
            "national_walk_sd",
            "race_walk_sd",
            "house_sd_mean",
            "poll_noise_sd_prob_scale",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")


def config_hash(sampler: SamplerConfig, priors: PriorConfig, model_version: str | None = None) -> str:
    """sha256 (hex) of the canonical JSON of both configs and the model version.

    ``model_version`` defaults to ``poll_model.MODEL_VERSION``. Any change to a prior, the sampler
    settings or the model version changes the hash.
    """
    if model_version is None:
        from forecast_pipeline.models.poll_model import MODEL_VERSION

        model_version = MODEL_VERSION
    payload = {
        "model_version": model_version,
        "sampler": asdict(sampler),
        "priors": asdict(priors),
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
