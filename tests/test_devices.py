"""One device resolution for every stage (activediff.devices)."""

import pytest
import torch

from activediff.devices import resolve_device


def test_device_selection():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if torch.cuda.is_available():
        assert resolve_device("cuda").type == "cuda"
    else:
        with pytest.raises(RuntimeError, match="cuda requested"):
            resolve_device("cuda")
    with pytest.raises(ValueError, match="one of"):
        resolve_device("tpu")
