"""lib.plot's figures: what they draw, read back from matplotlib."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from lib.plot import image_grid  # noqa: E402


@pytest.mark.parametrize("frame", [False, True])
def test_image_grid_draws_each_image_once_and_frames_only_when_asked(frame):
    images = np.random.default_rng(0).random((5, 6, 6))
    fig = image_grid(images, [f"image {i}" for i in range(5)], ncols=3, frame=frame)
    axes = fig.axes
    assert len(axes) == 6                                   # 2 rows of 3, one left empty
    drawn = [ax for ax in axes if ax.images]
    assert len(drawn) == 5
    assert [ax.get_title() for ax in drawn] == [f"image {i}" for i in range(5)]
    for ax in drawn:
        assert ax.axison is frame
        if frame:
            assert all(spine.get_visible() for spine in ax.spines.values())
            assert not ax.get_xticks().size and not ax.get_yticks().size
    assert not axes[5].axison                               # the empty cell never has a frame
    plt.close(fig)
