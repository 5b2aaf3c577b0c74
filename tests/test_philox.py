"""Philox4x64-10 streams (activediff.diffusion.philox) against numpy's own Philox bit generator,
and the normals drawn from them."""

import numpy as np
import pytest
from scipy import stats

from activediff.diffusion import philox


@pytest.mark.parametrize("seed,index", [(0, 0), (3, 7), (2**31 - 1, 123_456), (2**64 - 1, 2**40 + 5)])
def test_words_are_numpys_philox_with_key_index_and_seed(seed, index):
    # numpy's Philox takes a 128-bit key (low word first) and starts at counter 1.
    reference = np.random.Philox(key=index + (seed << 64)).random_raw(13)
    assert np.array_equal(philox.raw_words(seed, [index], 13)[0], reference)


def test_streams_depend_on_seed_and_index_only():
    words = philox.raw_words(5, np.arange(100), 8)
    assert np.array_equal(philox.raw_words(5, [42, 7], 8), words[[42, 7]])
    assert len({w.tobytes() for w in words}) == 100                       # all streams differ
    assert not np.array_equal(philox.raw_words(6, [42], 8), words[[42]])  # so does another seed
    z = philox.normals(5, np.arange(50), 9)
    assert np.array_equal(philox.normals(5, [49, 3], 9), z[[49, 3]])
    assert np.array_equal(philox.normals(5, np.arange(50), 4), z[:, :4])  # a longer draw extends it


def test_box_muller_of_the_words():
    seed, index, n = 11, 9, 6
    w = np.random.Philox(key=index + (seed << 64)).random_raw(n)
    u1 = 1.0 - (w[0::2] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    u2 = (w[1::2] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    radius = np.sqrt(-2 * np.log(u1))
    expected = np.column_stack([radius * np.cos(2 * np.pi * u2), radius * np.sin(2 * np.pi * u2)]).ravel()
    np.testing.assert_allclose(philox.normals(seed, [index], n)[0], expected, rtol=1e-14, atol=1e-15)


def test_normals_are_standard_normal_and_uncorrelated():
    z = philox.normals(1, np.arange(4000), 50)
    assert stats.kstest(z.ravel(), "norm").pvalue > 1e-3
    assert abs(z.mean()) < 4 / np.sqrt(z.size) and abs(z.var() - 1) < 4 * np.sqrt(2 / z.size)
    lag = np.mean(z[:, 1:] * z[:, :-1])          # neighbours within a stream (a Box-Muller pair too)
    across = np.mean(z[1:] * z[:-1])             # the same draw of neighbouring samples
    assert abs(lag) < 4 / np.sqrt(z[:, 1:].size) and abs(across) < 4 / np.sqrt(z[1:].size)


def test_bad_arguments():
    with pytest.raises(ValueError, match="non-negative"):
        philox.normals(1, [-1], 3)
    with pytest.raises(ValueError, match="seed"):
        philox.normals(-1, [0], 3)
    assert philox.normals(1, np.array([], dtype=int), 3).shape == (0, 3)


def test_sub_streams_are_numpys_counter_word_and_independent():
    reference = np.random.Philox(key=4 + (9 << 64), counter=[0, 3, 0, 0]).random_raw(8)
    assert np.array_equal(philox.raw_words(9, [4], 8, stream=3)[0], reference)
    assert not np.array_equal(philox.raw_words(9, [4], 8, stream=2), philox.raw_words(9, [4], 8, stream=3))


@pytest.mark.parametrize("first", [0, 1, 2, 3, 5, 6, 11])
def test_a_stream_drawn_piece_by_piece_is_the_stream(first):
    whole = philox.normals(2, np.arange(5), 40, stream=1)
    np.testing.assert_array_equal(philox.normals(2, np.arange(5), 17, stream=1, first=first),
                                  whole[:, first:first + 17])
