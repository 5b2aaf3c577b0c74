"""Entropy production along generation (docs/theory.md 7.2; standard stochastic thermodynamics).

For du = f(u, t) dt + sqrt(beta(t)) G dW (code time) the diffusion matrix is D(t) = beta G G^T / 2
(docs/theory.md's D = g^2/2; the SDE's `diffusion_matrix` is G G^T) and the current velocity is
v = f - D grad log p_t. The entropy production rate, per unit code time and summed over data
coordinates, is

    Pi(t) = E_{p_t} [ v^T D^{-1} v ]   over the channels that carry noise.

Definitional choices (flagged):
  - Only noisy channels enter. Passive: the full Pi = (beta/T) E|k x + T s|^2. Active with
    T_p = 0: the eta-channel part Pi_eta (the x direction has no noise, so the full path-measure
    entropy production diverges); with T_p > 0 the x channel is included and Pi is the full one.
    CLD: the v-channel part. The velocity is odd under time reversal by default (`parity`), so
    only the irreversible drift f_irr = (f(u) + eps f(eps u))/2, eps = diag(parity), enters: the
    friction -beta Gamma M^{-1} v; then stationary CLD (an equilibrium) has Pi = 0. With parity
    (1, 1) (every variable even, the plain Markov-process form of docs/theory.md 7.2) stationary CLD
    shows a spurious Pi > 0. The active eta is even (a force), so Pi_eta > 0 even at stationarity:
    that is the activity.
  - Rates are per unit code time (multiply by 1/beta for physical time); so int Pi dt over code
    time is the total entropy production.
  - Forward process: p_t are the exact marginals (samples from data), the score is exact or
    learned. Reverse (generative) process: q_s are the marginals of the reverse-time
    Euler-Maruyama chain started from the stationary prior, at reverse time s = t_max - t, with
    drift f_rev = -f + 2 D s_hat; its current velocity is v_rev = f_rev - D s_hat = -(f - D s_hat)
    when s_hat is taken to be the score of q_s (exact for the exact score, the model's belief for a
    learned one), so Pi_rev(s) = E_{q_s} [w^T D^{-1} w], w = f_irr - D s_hat, at t = t_max - s,
    which equals Pi_fwd(t) for the exact score up to the prior mismatch and step-size error.
    The step error is first order and positive, largest near t -> 0, where the score's stiffness
    grows like 1/t (CLD worst): 0.6-1.7 h/t relative for step h (CLD, steps ~t/35 on the default
    grid: Gaussian data +3%, diamond +5.6%; halving with h), so ~1% needs h <~ t/200 near
    t -> 0; gaussian_em_entropy_production gives it exactly for Gaussian data.
    With odd parity this Pi_rev is the forward rate carried to reverse time (docs/theory.md 7.2),
    not the Spinney-Ford entropy production of the reverse SDE as a Markov process of its own,
    E_q[w(eps u)^T D^{-1} w(eps u)]; the two differ where p_t is not symmetric in v (CLD,
    Gaussian data: < 1% for t < 0.01, +82% at t = 0.1).

Trajectory level (passive only, where D^{-1} f = -k x / T is a gradient): Delta s_tot =
-ln p_t1(x_t1) + ln p_t0(x_t0) - (k/2T)(|x_t1|^2 - |x_t0|^2), so the Stratonovich medium term is
a total derivative and exact endpoint pairs suffice: <exp(-Delta s_tot)> = 1 and <Delta s_tot> =
int_t0^t1 Pi dt. Caution: exp(-Delta s_tot) has infinite variance when the window expands the
density by more than 4/3 (Gaussian case: Var x grows from V0 to V1 with Delta < V0/3), so the IFT
is checked over short windows.

Every sample i draws its normals from its own stream (samplers.sample_noise with seed and index),
so results do not depend on batch size. Float64 throughout (learned networks are evaluated in
their own dtype and cast back).
"""

from __future__ import annotations

import numpy as np
import torch

from activediff.diffusion.linalg import apply, cholesky
from activediff.diffusion.samplers import euler_maruyama, sample_noise
from activediff.diffusion.scores import GaussianMixture, log_density
from activediff.diffusion.sde import LinearSDE, Passive

F64 = torch.float64


def diffusion_coefficient(sde: LinearSDE, t: float) -> np.ndarray:
    """D(t) = beta(t) G G^T / 2 per coordinate, (n, n)."""
    return 0.5 * float(sde.beta(t)) * np.asarray(sde.diffusion_matrix, dtype=np.float64)


def default_parity(sde: LinearSDE) -> tuple[int, ...]:
    """Time-reversal signature of the channels, as the process states it (CLD's velocity odd)."""
    return tuple(sde.parity)


def irreversible_drift_matrix(sde: LinearSDE, parity=None) -> np.ndarray:
    """A_irr = (A + eps A eps)/2, eps = diag(parity): the drift part that does not flip sign
    under time reversal (A itself when every channel is even)."""
    eps = np.diag(np.asarray(parity if parity is not None else default_parity(sde), dtype=np.float64))
    A = np.asarray(sde.drift_matrix, dtype=np.float64)
    return 0.5 * (A + eps @ A @ eps)


def entropy_production_terms(sde: LinearSDE, u: torch.Tensor, t: float, score: torch.Tensor,
                             parity=None) -> torch.Tensor:
    """Per-sample v^T D^{-1} v summed over noisy channels and coordinates, v = f_irr - D score:
    u, score (N, n, *coords) -> (N,). The mean over u ~ p_t is Pi(t)."""
    D = diffusion_coefficient(sde, t)
    channels = list(sde.scored_channels)
    u, score = u.to(F64), score.to(F64)
    A_irr = torch.as_tensor(float(sde.beta(t)) * irreversible_drift_matrix(sde, parity), dtype=F64)
    v = apply(A_irr, u) - apply(torch.as_tensor(D, dtype=F64), score)
    w = torch.as_tensor(1.0 / np.diag(D)[channels], dtype=F64).reshape((1, -1) + (1,) * (u.ndim - 2))
    return (w * v[:, channels] ** 2).reshape(u.shape[0], -1).sum(1)


def mean_and_se(values: torch.Tensor | np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))


def _gaussian_law(sde: LinearSDE, t: float, data_var: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean coefficients e0 (n,) and covariance C (n, n) of p_t per coordinate for Gaussian data."""
    e0 = np.asarray(sde.mean_coeff(t), dtype=np.float64)
    return e0, data_var * np.outer(e0, e0) + np.asarray(sde.cov(t), dtype=np.float64)


def _gaussian_pi(sde: LinearSDE, t: float, q_means: np.ndarray, q_cov: np.ndarray, data_mean: np.ndarray,
                 data_var: float, parity=None) -> float:
    """E_q[v^T D^{-1} v] with the exact score of Gaussian data, for q = N(q_means[j], q_cov) per
    coordinate j: v = K u - D C^{-1} m_j, K = beta A_irr + D C^{-1}, m_j = e0 mu_j."""
    e0, C = _gaussian_law(sde, t, data_var)
    D, Ci = diffusion_coefficient(sde, t), np.linalg.inv(C)
    K = float(sde.beta(t)) * irreversible_drift_matrix(sde, parity) + D @ Ci
    channels = list(sde.scored_channels)
    mean_v = q_means @ K.T - np.outer(data_mean, D @ Ci @ e0)  # (d, n)
    second = len(data_mean) * np.diag(K @ q_cov @ K.T) + (mean_v**2).sum(0)
    return float((second[channels] / np.diag(D)[channels]).sum())


def stationary_entropy_production(sde: LinearSDE, dims: int, t: float | None = None, parity=None) -> float:
    """Pi of the stationary state per code time (at beta(t); default t_max), summed over `dims`
    coordinates: with p = N(0, S) (S the stationary channel covariance), v = M u with
    M = beta A_irr + D S^{-1}, and Pi = dims sum_{c noisy} (M S M^T)_cc / D_cc. Zero for passive and
    for CLD with odd velocity (equilibria); positive for the active process, whose eta is even: its
    activity produces entropy at rest, and that rate is part of every Pi(t) it reports."""
    t = sde.t_max if t is None else t
    D, S = diffusion_coefficient(sde, t), np.asarray(sde.stationary_cov(), dtype=np.float64)
    M = float(sde.beta(t)) * irreversible_drift_matrix(sde, parity) + D @ np.linalg.inv(S)
    channels = list(sde.scored_channels)
    return dims * float((np.diag(M @ S @ M.T)[channels] / np.diag(D)[channels]).sum())


def gaussian_entropy_production(sde: LinearSDE, t, data_mean, data_var: float, parity=None) -> np.ndarray:
    """Closed form of Pi(t) for Gaussian data N(data_mean, data_var I) (d = len(data_mean)).

    Per coordinate j, p_t = N(m, C) with m = e0 mu_j, C = data_var e0 e0^T + Sigma(t) (e0 the
    kernel's mean coefficients, Sigma the kernel covariance given x0), score -C^{-1}(u - m), so
    v = K (u - m) + beta A m with K = beta A + D C^{-1} (A: irreversible drift matrix), and
    Pi = sum_j sum_{c noisy} [ (K C K^T)_cc + (beta A m)_c^2 ] / D_cc."""
    mu = np.asarray(data_mean, dtype=np.float64)
    out = []
    for ti in np.atleast_1d(np.asarray(t, dtype=np.float64)):
        e0, C = _gaussian_law(sde, ti, data_var)
        out.append(_gaussian_pi(sde, ti, np.outer(mu, e0), C, mu, data_var, parity))
    return np.array(out) if np.ndim(t) else out[0]


def reverse_grid(sde: LinearSDE, times, steps_per_interval: int, max_step: float):
    """Step grid of the reverse chain through forward times decreasing from t_max: (grid, bounds)
    with grid[bounds[k]] = times[k]; between consecutive times max(steps_per_interval,
    ceil(gap / max_step)) uniform steps."""
    times = np.asarray(times, dtype=np.float64)
    if not np.all(np.diff(times) < 0) or not np.isclose(times[0], sde.t_max):
        raise ValueError(f"reverse chain: times must decrease from t_max = {sde.t_max} (forward times along "
                         f"generation, which starts from the prior at t_max); got {times[0]} ... {times[-1]}")
    n_sub = [max(steps_per_interval, int(np.ceil((a - b) / max_step))) for a, b in zip(times[:-1], times[1:])]
    bounds = np.concatenate([[0], np.cumsum(n_sub)])
    grid = np.concatenate([np.linspace(a, b, m + 1)[:-1] for a, b, m in zip(times[:-1], times[1:], n_sub)]
                          + [times[-1:]])
    return grid, bounds


def gaussian_em_entropy_production(sde: LinearSDE, times, steps_per_interval: int, max_step: float, data_mean,
                                   data_var: float, parity=None) -> np.ndarray:
    """What reverse_rates estimates, exactly (no Monte Carlo), for Gaussian data and the exact
    score: the score is linear, so the Euler-Maruyama chain's law stays Gaussian, N(mean_j, P)
    per coordinate, and one step of size h at t is mean <- L mean + h beta G C^{-1} m_j,
    P <- L P L^T + beta h G with L = I - h beta (A + G C^{-1}) (G = diffusion_matrix). Started
    from the stationary prior; times decrease from t_max. The excess over
    gaussian_entropy_production is the step-size and prior error alone."""
    grid, bounds = reverse_grid(sde, times, steps_per_interval, max_step)
    mu = np.asarray(data_mean, dtype=np.float64)
    A, G = np.asarray(sde.drift_matrix, dtype=np.float64), np.asarray(sde.diffusion_matrix, dtype=np.float64)
    means, P = np.zeros((len(mu), sde.n_channels)), np.asarray(sde.stationary_cov(), dtype=np.float64)
    out = []
    for k, t in enumerate(np.asarray(times, dtype=np.float64)):
        for i in range(bounds[k - 1], bounds[k]) if k else ():
            h, b = grid[i] - grid[i + 1], float(sde.beta(grid[i]))
            e0, C = _gaussian_law(sde, grid[i], data_var)
            GCi = G @ np.linalg.inv(C)
            L = np.eye(sde.n_channels) - h * b * (A + GCi)
            means = means @ L.T + h * b * np.outer(mu, GCi @ e0)
            P = L @ P @ L.T + b * h * G
        out.append(_gaussian_pi(sde, t, means, P, mu, data_var, parity))
    return np.array(out)


# -- exact forward samples -----------------------------------------------------------------------

def forward_draws(mix: GaussianMixture, sde: LinearSDE, n: int, seed: int, n_extra: int = 0):
    """Per-sample normals for forward samples: data x0 (n, d), kernel noise (n, n_channels, d)
    and n_extra further (n_extra, n, n_channels, d) draws (e.g. for transitions)."""
    d, nc = mix.dim, sde.n_channels
    first, rest = sample_noise(seed, np.arange(n), (nc + 1, d), 1 + n_extra)
    x0 = mix.from_normals(rest[0][:, 0, 0], first[:, 0])
    return x0, first[:, 1:], rest[1:, :, 1:]


def forward_state(sde: LinearSDE, x0: np.ndarray, noise: np.ndarray, t: float) -> torch.Tensor:
    """Exact u_t (n, n_channels, d) from data x0 (n, d) and standard normal noise (n, n_channels, d)."""
    return sde.perturb(torch.as_tensor(x0, dtype=F64), float(t), torch.as_tensor(noise, dtype=F64))


def forward_rates(sde: LinearSDE, mix: GaussianMixture, score_fn, times, n: int, seed: int,
                  parity=None) -> np.ndarray:
    """Per-sample terms (len(times), n) along the forward process: u_t exact (the same x0 and
    kernel noise at every t, so curves are smooth and time integrals get correct errors)."""
    x0, noise, _ = forward_draws(mix, sde, n, seed)
    rows = []
    for t in times:
        u = forward_state(sde, x0, noise, t)
        with torch.no_grad():
            rows.append(entropy_production_terms(sde, u, float(t), score_fn(u, float(t)), parity).numpy())
    return np.stack(rows)


def reverse_rates(sde: LinearSDE, score_fn, times, coord_shape, n: int, seed: int, steps_per_interval: int,
                  max_step: float, parity=None, batch_size: int = 4096) -> np.ndarray:
    """Per-sample terms (len(times), n) along the reverse (generative) Euler-Maruyama chain started
    from the stationary prior; times are forward times, decreasing from t_max (first entry) to
    the end; steps as in reverse_grid (code time)."""
    times = np.asarray(times, dtype=np.float64)
    grid, bounds = reverse_grid(sde, times, steps_per_interval, max_step)
    shape = (sde.n_channels,) + tuple(coord_shape)
    out = []
    for start in range(0, n, batch_size):
        idx = np.arange(start, min(start + batch_size, n))
        prior, steps = sample_noise(seed, idx, shape, len(grid) - 1)
        u = sde.prior_sample(torch.as_tensor(prior, dtype=F64))
        steps = torch.as_tensor(steps, dtype=F64)
        rows = []
        for k, t in enumerate(times):
            if k:
                i0, i1 = bounds[k - 1], bounds[k]
                with torch.no_grad():
                    u = euler_maruyama(sde, score_fn, u, steps[i0:i1], grid[i0:i1 + 1])
            with torch.no_grad():
                rows.append(entropy_production_terms(sde, u, float(t), score_fn(u, float(t)), parity).numpy())
        out.append(np.stack(rows))
    return np.concatenate(out, 1)


def log_time_integral(times, values) -> np.ndarray:
    """Per-sample int Pi dt by the trapezoid rule in ln t (Pi t varies slowly at small t):
    values (T, n) at increasing times (T,) -> (n,)."""
    times = np.asarray(times, dtype=np.float64)
    integrand = np.asarray(values) * times[:, None]
    dlog = np.diff(np.log(times))[:, None]
    return (0.5 * (integrand[1:] + integrand[:-1]) * dlog).sum(0)


# -- trajectory level (passive) ------------------------------------------------------------------

def transition(sde: LinearSDE, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
    """Kernel from t0 to t1 > t0 for a fixed u_t0: (E01, M01) with E01 = E(t1) E(t0)^{-1},
    M01 = M(t1) - E01 M(t0) E01^T (per coordinate)."""
    E0, E1 = np.asarray(sde.propagator(t0)), np.asarray(sde.propagator(t1))
    E01 = E1 @ np.linalg.inv(E0)
    M01 = np.asarray(sde.noise_cov(t1)) - E01 @ np.asarray(sde.noise_cov(t0)) @ E01.T
    return E01, M01


def total_entropy_production(sde: LinearSDE, mix: GaussianMixture, u0: torch.Tensor, u1: torch.Tensor,
                             t0: float, t1: float) -> np.ndarray:
    """Delta s_tot per sample for the passive process between states u0 at t0 and u1 at t1
    ((n, 1, d) each): system part -ln p_t1(u1) + ln p_t0(u0), medium part -(k/2T)(|u1|^2 - |u0|^2)."""
    if not isinstance(sde, Passive):
        raise ValueError("total_entropy_production: the medium term is a total derivative only for "
                         f"the passive process, got {sde!r}")
    system = log_density(mix, sde, u0, t0) - log_density(mix, sde, u1, t1)
    medium = -(sde.k / (2 * sde.T)) * ((u1**2).sum((1, 2)) - (u0**2).sum((1, 2)))
    return (system + medium).numpy()


def window_entropy(sde: LinearSDE, mix: GaussianMixture, windows, n: int, seed: int) -> np.ndarray:
    """Delta s_tot (len(windows), n) of exact pairs (u_t0 ~ p_t0, u_t1 | u_t0) for each window
    (t0, t1) of the passive process; sample i uses the same x0 and noise in every window."""
    x0, noise, extra = forward_draws(mix, sde, n, seed, n_extra=len(windows))
    out = []
    for (t0, t1), z in zip(windows, extra):
        u0 = forward_state(sde, x0, noise, t0)
        E01, M01 = transition(sde, t0, t1)
        u1 = apply(torch.as_tensor(E01), u0) + apply(torch.as_tensor(cholesky(M01)), torch.as_tensor(z))
        out.append(total_entropy_production(sde, mix, u0, u1, t0, t1))
    return np.stack(out)


def gaussian_mean_entropy(sde: LinearSDE, t0: float, t1: float, data_mean, data_var: float) -> float:
    """<Delta s_tot> over [t0, t1] for Gaussian data under the passive process (closed form):
    sum_j [ (1/2) ln(V1/V0) + (k/2T)(E x_t0^2 - E x_t1^2) ], V = a^2 data_var + Delta_t."""
    mu = np.asarray(data_mean, dtype=np.float64)
    d = len(mu)
    V = [data_var * float(sde.mean_coeff(t)[0]) ** 2 + float(sde.cov(t)[0, 0]) for t in (t0, t1)]
    second = [d * v + float(sde.mean_coeff(t)[0]) ** 2 * (mu**2).sum() for v, t in zip(V, (t0, t1))]
    return 0.5 * d * np.log(V[1] / V[0]) + sde.k / (2 * sde.T) * (second[0] - second[1])

