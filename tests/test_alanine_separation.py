"""The beta/P_II dip contrast (activediff.alanine.separation) and its Fig 3a claim rows.

Exact references are built from points placed on bin centres, so every count is known by
construction; the bootstrap is checked against the spread over independent data sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from activediff.alanine import separation as sep
from activediff.alanine.basins import basin_populations
from activediff.alanine.tables import fidelity_rows
from activediff.evaluation.claims import ClaimSettings
from activediff.io import InputError

BIN = 10.0
CENTRES = np.arange(-175.0, 0.0, BIN)          # the 18 phi bin centres of [-180, 0)


def placed(counts: dict[float, int], psi: float = 150.0, outside: int = 0):
    """`counts[c]` points at phi = c (a bin centre) in the band, plus `outside` points in alpha_R."""
    phi = np.concatenate([np.full(n, c) for c, n in counts.items()] + [np.full(outside, -70.0)])
    psi = np.concatenate([np.full(sum(counts.values()), psi), np.full(outside, -40.0)])
    return phi, psi


def smooth_sample(n: int, rng, dip_weight: float = 0.15):
    """beta (phi ~ -150) and P_II (phi ~ -70) in the band, some density between, and alpha_R."""
    kind = rng.choice(4, size=n, p=[0.35, 0.3, dip_weight, 0.35 - dip_weight + 0.0])
    phi = np.select([kind == 0, kind == 1, kind == 2],
                    [rng.normal(-150, 12, n), rng.normal(-70, 10, n), rng.uniform(-125, -95, n)],
                    rng.normal(-70, 10, n))
    psi = np.where(kind == 3, rng.normal(-40, 15, n), rng.uniform(100, 170, n))
    return phi, psi


def test_band_density_counts_only_the_band_per_degree():
    phi, psi = placed({-155.0: 40, -115.0: 5, -75.0: 30}, outside=25)
    rho = sep.band_density(phi, psi, BIN)
    assert rho.shape == (18,)
    expected = np.zeros(18)
    for c, n in {-155.0: 40, -115.0: 5, -75.0: 30}.items():
        expected[np.flatnonzero(CENTRES == c)[0]] = n / (100 * BIN)
    np.testing.assert_allclose(rho, expected, rtol=0, atol=1e-15)
    # The band's other half (psi < -120) counts, and angles are wrapped first.
    rho_wrapped = sep.band_density(np.array([-155.0 + 360, -155.0]), np.array([-150.0, 150.0 - 720]), BIN)
    assert rho_wrapped[np.flatnonzero(CENTRES == -155.0)[0]] == pytest.approx(2 / (2 * BIN))


def test_peaks_dip_and_contrast_from_known_counts():
    phi, psi = placed({-165.0: 10, -155.0: 40, -125.0: 12, -115.0: 5, -105.0: 9, -75.0: 30, -65.0: 20})
    rho = sep.band_density(phi, psi, BIN)
    bins = sep.dip_bins(rho, BIN)
    assert (CENTRES[bins.beta], CENTRES[bins.p_ii]) == (-155.0, -75.0)
    # Between the peaks the emptiest bins are the never-visited ones (-145, -135, -95, -85): the
    # first of them is the dip, contrast 0. Filling them leaves -115 (5 points) as the dip.
    assert CENTRES[bins.dip] == -145.0 and sep.contrast(rho, bins) == 0.0
    full = {c: 7 for c in CENTRES[(CENTRES > -155) & (CENTRES < -75)]}
    full.update({-155.0: 40, -115.0: 5, -75.0: 30})
    rho = sep.band_density(*placed(full), BIN)
    bins = sep.dip_bins(rho, BIN)
    assert CENTRES[bins.dip] == -115.0
    assert sep.contrast(rho, bins) == pytest.approx(5 / 35)           # dip / (dip + lower peak)


def test_contrast_conventions():
    bins = sep.DipBins(beta=2, p_ii=10, dip=6)
    rho = np.zeros(18)
    assert sep.contrast(rho, bins) == 0.5                               # nothing: flat
    rho[[2, 10]] = 1.0, 0.5
    assert sep.contrast(rho, bins) == 0.0                               # empty dip
    rho[6] = 0.5
    assert sep.contrast(rho, bins) == 0.5                               # dip as full as the lower peak
    rho[6] = 1.5
    assert sep.contrast(rho, bins) == 0.75                              # no peak: above 1/2, still ordered
    rho[10] = 0.0
    assert sep.contrast(rho, bins) == 1.0                               # a basin missing


def test_no_dip_without_both_peaks():
    rho = sep.band_density(*placed({-155.0: 40, -125.0: 3}), BIN)
    assert sep.dip_bins(rho, BIN) is None
    rho = sep.band_density(*placed({-95.0: 40, -85.0: 30}), BIN)      # adjacent peaks: no bin between
    assert sep.dip_bins(rho, BIN) is None


def test_bad_input_is_refused():
    with pytest.raises(InputError, match="divide 180"):
        sep.bin_edges(7.0)
    with pytest.raises(InputError, match="non-finite"):
        sep.band_density(np.array([np.nan, -150.0]), np.array([150.0, 150.0]), BIN)
    with pytest.raises(InputError, match="1-d"):
        sep.band_density(np.array([]), np.array([]), BIN)


def test_bootstrap_error_matches_the_spread_over_independent_data_sets():
    rng = np.random.default_rng(5)
    n = 3000
    reference = sep.dip_bins(sep.band_density(*smooth_sample(200_000, rng), BIN), BIN)
    spread = np.std([sep.contrast(sep.band_density(*smooth_sample(n, rng), BIN), reference)
                     for _ in range(60)], ddof=1)
    phi, psi = smooth_sample(n, rng)
    boot = sep.data_contrast_bootstrap(phi, psi, np.zeros(n, dtype=int), 1, reference, BIN, 400, seed=1)
    assert 0.0 < spread and 0.7 < boot.std(ddof=1) / spread < 1.4
    # Blocks of correlated frames widen it: a trajectory that repeats every frame 20 times has the
    # information of n/20 frames, and blocks of 20 see that while single frames do not.
    repeated = np.repeat(phi[: n // 20], 20), np.repeat(psi[: n // 20], 20)
    naive = sep.data_contrast_bootstrap(*repeated, np.zeros(n, dtype=int), 1, reference, BIN, 400, seed=1)
    blocked = sep.data_contrast_bootstrap(*repeated, np.zeros(n, dtype=int), 20, reference, BIN, 400, seed=1)
    assert blocked.std() > 3 * naive.std()


def model_tables(rng, passive_dip: float, active_dip: float, seeds: int = 4, n: int = 4000):
    data = smooth_sample(20_000, rng, dip_weight=0.05)
    rho = sep.band_density(*data, BIN)
    bins = sep.dip_bins(rho, BIN)
    models = [(sde, s, *smooth_sample(n, rng, dip_weight=w))
              for sde, w in (("passive", passive_dip), ("active", active_dip)) for s in range(seeds)]
    by_seed = sep.per_model_contrasts(models, bins, BIN)
    basins = basin_populations(*data, n_bootstrap=50)
    model_basins = pd.concat([basin_populations(phi, psi, n_bootstrap=50).assign(sde=sde, seed=s)
                              for sde, s, phi, psi in models], ignore_index=True)
    return data, rho, bins, by_seed, basins, model_basins


def test_claim_rows_can_be_reproduced_and_contradicted():
    rng = np.random.default_rng(7)
    data, rho, bins, by_seed, basins, model_basins = model_tables(rng, passive_dip=0.25, active_dip=0.05)
    d_data = sep.contrast(rho, bins)
    assert by_seed.query("sde == 'passive'")["contrast"].min() > by_seed.query("sde == 'active'")["contrast"].max()
    settings = ClaimSettings()
    rows = fidelity_rows(basins, model_basins, ["passive", "active"], settings, separation=by_seed,
                         data_contrast=d_data)
    dip = [r for r in rows if "separates beta and P_II" in r["claim"]]
    assert len(dip) == 1 and dip[0]["verdict"] == "reproduced" and dip[0]["dof"] == 3
    expected = (by_seed.pivot(index="seed", columns="sde", values="contrast") - d_data).abs()
    assert dip[0]["value"] == pytest.approx((expected["passive"] - expected["active"]).mean())
    swapped = by_seed.assign(sde=by_seed["sde"].map({"active": "passive", "passive": "active"}))
    rows = fidelity_rows(basins, model_basins, ["passive", "active"], settings, separation=swapped,
                         data_contrast=d_data)
    assert [r for r in rows if "separates" in r["claim"]][0]["verdict"] == "contradicted"
    # A model that over-separates (no density between the basins) is as wrong as one that blurs.
    over = by_seed.assign(contrast=np.where(by_seed["sde"] == "active", 0.0, d_data + 0.01))
    rows = fidelity_rows(basins, model_basins, ["passive", "active"], settings, separation=over,
                         data_contrast=d_data)
    assert [r for r in rows if "separates" in r["claim"]][0]["verdict"] == "contradicted"


def test_no_dip_row_says_why():
    rng = np.random.default_rng(8)
    _, _, _, _, basins, model_basins = model_tables(rng, 0.1, 0.1, seeds=2, n=500)
    rows = fidelity_rows(basins, model_basins, ["passive", "active"], ClaimSettings(),
                         no_dip="the MD data show no beta and P_II peak")
    assert rows[-1]["verdict"] == "not measured here" and "no beta and P_II peak" in rows[-1]["conditions"]


def test_summary_rows():
    rng = np.random.default_rng(9)
    data, rho, bins, by_seed, _, _ = model_tables(rng, 0.2, 0.05, seeds=3, n=2000)
    boot = np.array([0.1, 0.2, 0.3])
    table = sep.summarise(0.2, boot, by_seed, bins, BIN, ["passive", "active", "cld"])
    assert list(table["source"]) == ["data", "passive", "active"]
    assert table.notna().all().all()
    active = by_seed.query("sde == 'active'")["contrast"]
    row = table.set_index("source").loc["active"]
    assert row["contrast"] == pytest.approx(active.mean())
    assert row["distance_to_data"] == pytest.approx((active - 0.2).abs().mean())
    assert row["stderr"] == pytest.approx(active.std(ddof=1) / np.sqrt(3))
    one = sep.summarise(0.2, boot, by_seed.query("seed == 0"), bins, BIN, ["passive"])
    assert np.isinf(one.set_index("source").loc["passive", "stderr"])


def test_peaks_are_local_maxima_not_the_shoulder_of_the_other_basin():
    # P_II's peak at -75 spills over phi = -90 (fuller at -95 than beta's own peak at -145).
    counts = {-175.0: 6, -165.0: 6, -155.0: 9, -145.0: 21, -135.0: 14, -125.0: 14, -115.0: 11,
              -105.0: 18, -95.0: 35, -85.0: 53, -75.0: 66, -65.0: 51, -55.0: 28}
    rho = sep.band_density(*placed(counts), BIN)
    bins = sep.dip_bins(rho, BIN)
    assert (CENTRES[bins.beta], CENTRES[bins.p_ii], CENTRES[bins.dip]) == (-145.0, -75.0, -115.0)
    assert sep.contrast(rho, bins) == pytest.approx(11 / 32)
    # One broad basin: no beta peak of its own, so no dip to compare with.
    broad = {c: 10 + int(60 - abs(c + 75)) for c in CENTRES if c > -140}
    assert sep.dip_bins(sep.band_density(*placed(broad), BIN), BIN) is None
    # A P_II plateau as low as everything between it and beta: nothing between is lower than both.
    shelf = {-155.0: 10, -145.0: 50, -135.0: 45, -125.0: 40, -115.0: 35, -105.0: 33, -95.0: 31,
             -85.0: 30, -75.0: 30, -65.0: 10}
    assert sep.dip_bins(sep.band_density(*placed(shelf), BIN), BIN) is None
