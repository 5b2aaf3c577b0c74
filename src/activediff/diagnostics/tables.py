"""The two companion analyses on the pipeline's models, as tidy tables (docs/theory.md 7.1, 7.2).

`response_tables`: GFDT response functions of two stationary test processes, each with its own
ground truth:
  - langevin_mixture: overdamped Langevin in the potential of p_eps, the passive forward marginal
    of the data mixture at score_time (= sampling eps). p_eps is the density whose score the
    passive diffusion model learns at its smallest time, so the learned model's score at
    score_time enters the GFDT as the "learned score"; truth: the kick ensemble.
  - active_ou: the stationary active OU process (linear), truth e^{At}.
`entropy_tables`: entropy production along the forward and the generative process of one
process, with the exact and the learned scores; for passive also the fluctuation theorem.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from activediff.diagnostics import entropy_production as ep
from activediff.diagnostics import response as rs
from activediff.diagnostics.settings import EntropySettings, ResponseSettings
from activediff.diffusion.scores import GaussianMixture, exact_score_fn
from activediff.diffusion.sde import LinearSDE, Passive
from activediff.seeding import derive_seed
from activediff.toy.data import mixture_for
from activediff.training.checkpoints import load_score_model


def load_inputs(dataset: dict, seeds, model_paths, identities) -> tuple[GaussianMixture, dict]:
    """The toy set's exact mixture (its config entry, with `kind`) and the checkpoints by training
    seed (seeds[i] trained model_paths[i], which must be the model identities[i] describes: see
    training.checkpoints.identity_mismatches)."""
    params = dict(dataset)
    mix = mixture_for(params.pop("kind"), **params)
    if not len(seeds) == len(model_paths) == len(identities):
        raise ValueError(f"diagnostics: {len(seeds)} seeds for {len(model_paths)} checkpoints "
                         f"and {len(identities)} identities")
    return mix, {int(s): load_score_model(path, expect=identity)
                 for s, path, identity in zip(seeds, model_paths, identities)}


def _curve_rows(process, estimator, seed, times, R, se):
    T, n, _ = R.shape
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return pd.DataFrame({"process": process, "estimator": estimator, "seed": seed,
                         "t": np.repeat(times, n * n), "i": np.tile(i.ravel(), T), "j": np.tile(j.ravel(), T),
                         "R": R.reshape(-1), "R_se": se.reshape(-1)})


def _learned_scores(model, traj: np.ndarray, t: float, batch: int = 65536) -> np.ndarray:
    x = torch.as_tensor(traj.reshape(-1, 1, traj.shape[-1]))
    with torch.no_grad():
        out = torch.cat([model(x[k:k + batch], t) for k in range(0, len(x), batch)])
    return out[:, 0].to(torch.float64).numpy().reshape(traj.shape)


def response_tables(mix: GaussianMixture, passive: LinearSDE, active: LinearSDE, models: dict,
                    cfg: ResponseSettings, seed: int, log=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(curves, errors). models: training seed -> passive score model. Relative L2 errors over lags 0..horizon, SE by jackknife over
    chains (the reference's own noise is reported as the kick row's value)."""
    curves, errors = [], []
    # -- Langevin in the potential of p_eps --------------------------------------------------
    target = rs.smoothed_mixture(mix, passive, cfg.score_time)
    process = rs.langevin_mixture(target, cfg.langevin_D, cfg.langevin_dt)
    every = cfg.record_every
    lags = cfg.langevin_lags
    times = np.arange(lags + 1) * cfg.langevin_dt * every
    idx = range(cfg.n_chains)
    traj = rs.simulate(process, rs.stationary_initial(process, seed, idx), seed, idx, cfg.n_steps, every).numpy()
    kick, kick_se = rs.kick_response(process, derive_seed(seed, "langevin", "kicks"), cfg.n_kicks, lags * every, every, cfg.kick,
                                     first_index=cfg.n_chains)
    exact = process.score(torch.as_tensor(traj.reshape(-1, traj.shape[-1]))).numpy().reshape(traj.shape)
    curves.append(_curve_rows("langevin_mixture", "kick", -1, times, kick, kick_se))
    errors.append(dict(process="langevin_mixture", estimator="kick", seed=-1, rel_l2=0.0,
                       rel_l2_se=float(np.linalg.norm(kick_se) / np.linalg.norm(kick)), score_rel_error=np.nan))
    runs = [("score_exact", -1, exact)] + [("score_learned", s, _learned_scores(m, traj, cfg.score_time))
                                           for s, m in sorted(models.items())] + [("gaussian", -1, None)]
    for name, s, scores in runs:
        R, se = rs.gfdt_response(traj, scores, lags) if scores is not None else rs.gaussian_response(traj, lags)
        err, err_se = rs.relative_l2_jackknife(traj, scores, lags, kick)
        score_err = np.nan if scores is None else float(np.linalg.norm(scores - exact) / np.linalg.norm(exact))
        curves.append(_curve_rows("langevin_mixture", name, s, times, R, se))
        errors.append(dict(process="langevin_mixture", estimator=name, seed=s, rel_l2=err, rel_l2_se=err_se,
                           score_rel_error=score_err))
        if log:
            log.info("langevin_mixture %s seed %d: relative L2 error %.3f +- %.3f", name, s, err, err_se)
    # -- stationary active OU: R = e^{At} ----------------------------------------------------
    ou = rs.linear_ou(active, cfg.ou_dt)
    lags = cfg.ou_lags
    times = np.arange(lags + 1) * cfg.ou_dt
    exact_R = rs.exact_response(active, times)
    ou_seed = derive_seed(seed, "active_ou")
    traj = rs.simulate(ou, rs.stationary_initial(ou, ou_seed, idx), ou_seed, idx, cfg.ou_steps, 1).numpy()
    scores = ou.score(torch.as_tensor(traj.reshape(-1, 2))).numpy().reshape(traj.shape)
    kick, kick_se = rs.kick_response(ou, derive_seed(seed, "active_ou", "kicks"), 16, lags, 1, cfg.kick)
    curves += [_curve_rows("active_ou", "expm", -1, times, exact_R, np.zeros_like(exact_R)),
               _curve_rows("active_ou", "kick", -1, times, kick, kick_se)]
    errors.append(dict(process="active_ou", estimator="kick", seed=-1, rel_l2=rs.relative_l2(kick, exact_R),
                       rel_l2_se=0.0, score_rel_error=np.nan))
    for name, sc in (("score_exact", scores), ("gaussian", None)):
        R, se = rs.gfdt_response(traj, sc, lags) if sc is not None else rs.gaussian_response(traj, lags)
        err, err_se = rs.relative_l2_jackknife(traj, sc, lags, exact_R)
        curves.append(_curve_rows("active_ou", name, -1, times, R, se))
        errors.append(dict(process="active_ou", estimator=name, seed=-1, rel_l2=err, rel_l2_se=err_se,
                           score_rel_error=0.0 if sc is not None else np.nan))
    errors = pd.DataFrame(errors)
    errors["reference"] = np.where(errors["process"] == "active_ou", "expm", "kick")
    errors["horizon"] = np.where(errors["process"] == "active_ou", cfg.ou_horizon, cfg.horizon)
    return pd.concat(curves, ignore_index=True), errors


def _pi_rows(sde_name, direction, score, seed, times, terms):
    se = terms.std(1, ddof=1) / np.sqrt(terms.shape[1])
    return pd.DataFrame({"sde": sde_name, "quantity": "pi", "direction": direction, "score": score, "seed": seed,
                         "t_start": times, "t_end": times, "value": terms.mean(1), "se": se})


def entropy_tables(mix: GaussianMixture, sde: LinearSDE, models: dict, cfg: EntropySettings, seed: int,
                   log=None) -> pd.DataFrame:
    """Tidy rows of one process: Pi(t) forward/reverse x exact/learned (+ the closed form for
    Gaussian data of the same mean and covariance); for passive also, per window of the time
    grid, <exp(-Delta s_tot)>, <Delta s_tot> and int Pi dt, and the two means over the whole range;
    and the stationary state's rate (quantity pi_stationary, closed form, at t_max)."""
    parity = cfg.parity(sde)
    coarse = np.geomspace(cfg.t_min, sde.t_max, cfg.n_times)
    refine = cfg.refine
    fine = np.exp(np.interp(np.arange((len(coarse) - 1) * refine + 1) / refine, np.arange(len(coarse)),
                            np.log(coarse)))
    n = cfg.n_samples
    rev = dict(coord_shape=(mix.dim,), n=n, seed=derive_seed(seed, "reverse"), steps_per_interval=cfg.steps_per_interval,
               max_step=cfg.max_step, parity=parity)
    exact = exact_score_fn(mix, sde)
    fwd_exact = ep.forward_rates(sde, mix, exact, fine, n, seed, parity)
    rows = [_pi_rows(sde.name, "forward", "exact", -1, fine, fwd_exact),
            _pi_rows(sde.name, "reverse", "exact", -1, coarse,
                     ep.reverse_rates(sde, exact, coarse[::-1], **rev)[::-1])]
    cov = mix.covariance()
    closed = ep.gaussian_entropy_production(sde, fine, mix.weights @ mix.means, float(np.trace(cov)) / mix.dim, parity)
    rows.append(pd.DataFrame({"sde": sde.name, "quantity": "pi", "direction": "forward", "score": "gaussian_data",
                              "seed": -1, "t_start": fine, "t_end": fine, "value": closed, "se": 0.0}))
    rows.append(pd.DataFrame([dict(sde=sde.name, quantity="pi_stationary", direction="stationary", score="closed_form",
                                   seed=-1, t_start=sde.t_max, t_end=sde.t_max,
                                   value=ep.stationary_entropy_production(sde, mix.dim, parity=parity), se=0.0)]))
    for s, model in sorted(models.items()):
        rows.append(_pi_rows(sde.name, "forward", "learned", s, fine, ep.forward_rates(sde, mix, model, fine, n, seed,
                                                                                        parity)))
        rows.append(_pi_rows(sde.name, "reverse", "learned", s, coarse,
                             ep.reverse_rates(sde, model, coarse[::-1], **rev)[::-1]))
        if log:
            log.info("%s: learned seed %d done", sde.name, s)
    if isinstance(sde, Passive):  # the medium entropy is a total derivative (Seifert) only here
        windows = list(zip(coarse[:-1], coarse[1:]))
        ds = ep.window_entropy(sde, mix, windows, n, derive_seed(seed, "windows"))
        for w, (t0, t1) in enumerate(windows):
            sl = slice(w * refine, (w + 1) * refine + 1)
            integral = ep.log_time_integral(fine[sl], fwd_exact[sl])
            for quantity, values in (("ift", np.exp(-ds[w])), ("mean_delta_s_tot", ds[w]), ("integral_pi", integral)):
                mean, se = ep.mean_and_se(values)
                rows.append(pd.DataFrame([dict(sde=sde.name, quantity=quantity, direction="forward", score="exact",
                                               seed=-1, t_start=t0, t_end=t1, value=mean, se=se, window="step")]))
        for quantity, values in (("mean_delta_s_tot", ds.sum(0)),
                                 ("integral_pi", ep.log_time_integral(fine, fwd_exact))):
            mean, se = ep.mean_and_se(values)
            rows.append(pd.DataFrame([dict(sde=sde.name, quantity=quantity, direction="forward", score="exact",
                                           seed=-1, t_start=coarse[0], t_end=coarse[-1], value=mean, se=se,
                                           window="full")]))
    table = pd.concat(rows, ignore_index=True)
    table["window"] = table.get("window", pd.Series(index=table.index, dtype=object)).fillna("point")
    return table
