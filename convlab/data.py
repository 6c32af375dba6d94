"""Images for the course: a real photograph that ships with matplotlib (no download)."""

from __future__ import annotations

import numpy as np

__all__ = ["photo"]


def photo(*, size: int | None = 128, gray: bool = False) -> np.ndarray:
    """Grace Hopper's portrait (matplotlib's sample data) as floats in [0, 1].

    Parameters
    ----------
    size : int or None
        Shrink so that the longer side is about ``size`` pixels, by averaging
        blocks of pixels (None keeps the full 600 x 512).
    gray : bool
        Return the luminance ``(h, w)`` instead of RGB ``(h, w, 3)``.

    Returns
    -------
    ndarray of float32, shape (h, w, 3) or (h, w)

    Examples
    --------
    >>> photo().shape
    (150, 128, 3)
    >>> photo(size=None, gray=True).shape
    (600, 512)
    """
    from matplotlib import cbook
    from matplotlib import image as mpimg

    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        raise ValueError(f"photo: `size` must be a positive int or None; received size={size!r}.")
    picture = mpimg.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    picture = picture.astype(np.float32) / 255.0
    if size is not None:
        factor = max(1, max(picture.shape[:2]) // size)
        h, w = (picture.shape[0] // factor) * factor, (picture.shape[1] // factor) * factor
        picture = (
            picture[:h, :w].reshape(h // factor, factor, w // factor, factor, 3).mean(axis=(1, 3))
        )
    if gray:
        picture = picture @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.ascontiguousarray(picture, dtype=np.float32)
