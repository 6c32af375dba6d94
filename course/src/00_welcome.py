# %% [markdown]
# # 00 — Welcome: how this course works
#
# This course explains convolutional neural networks from the ground up: what a
# convolution computes, why padding and stride change the size of a feature map,
# how channels and weight sharing keep the parameter count small, what pooling does,
# how TensorFlow does all of it, and finally a network trained on handwritten digits
# and taken apart again.
#
# **What you need to know.** Python (functions, loops, lists) and NumPy: arrays, their
# `shape`, indexing and slicing such as `image[2:5, 1:4]`, and element-wise arithmetic.
# Nothing about neural networks. Every term is defined where it first appears.
# Notebook 06, where a network is trained, introduces the vocabulary of training
# (logits, softmax, cross-entropy, optimisers, batch normalisation) one line at a
# time; notebook 07 uses the idea of a derivative, and explains the rest.
#
# **How to work through it.** Run each notebook from top to bottom (*Run → Run All
# Cells* in JupyterLab, or Shift+Enter cell by cell). Every idea comes with a picture
# and a few lines of code you can change. Some cells ask you to **predict, then run**:
# decide what the next cell will print before you run it. Each notebook ends with a
# summary and **exercises**: you write a small function in the cell marked *Exercise*,
# and the cell after it checks your answer and prints one line: `passed`, `failed`
# with the likely mistake, or `not attempted` while the exercise still raises
# `NotImplementedError`. Stuck? `exercises.solution("name")` in a new cell shows one
# solution.
#
# **Where to run it, and where your work lives.** On your own machine, `make lab` in a
# clone of the repository installs everything into `.venv`, copies the course into the
# folder `my-course/` the first time it runs and opens that copy; it never overwrites a
# notebook there, so your answers stay yours when the course is updated. In the browser,
# the *launch binder* badge in the README starts the same JupyterLab on Binder, with
# nothing to install, and the *try it in your browser* link opens notebooks 00-04 in
# JupyterLite, which runs Python in the browser itself, without TensorFlow. Binder and
# JupyterLite keep nothing for you: download the notebooks you want to keep.
#
# **The notes.** The course grew out of a set of lecture notes on convolutional
# networks. Where the notebooks say "the notes", they mean those: their examples and
# figures are reused here, and their mistakes (outdated TensorFlow 1 code, a few wrong
# claims) are pointed out and corrected where they come up.
#
# The code you import comes from `convlab`, a small library written for this course:
# NumPy versions of every operation (a readable loop and a fast twin) that give the same
# numbers as TensorFlow, Google's library for deep learning (to float32 precision),
# plus the figures and explorers you will see.

# %%
%matplotlib inline
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's C++ logs quiet

import numpy as np

import convlab
from convlab import exercises

# %% [markdown]
# ## Environment check
#
# The next cell reports the versions of the libraries this notebook runs with.

# %% tags=nbval-ignore-output
import platform

import ipywidgets
import matplotlib

print(f"Python      {platform.python_version()}")
print(f"NumPy       {np.__version__}")
print(f"matplotlib  {matplotlib.__version__}")
print(f"ipywidgets  {ipywidgets.__version__}")
print(f"convlab     {convlab.__version__}")

# %% [markdown] tags=tensorflow
# Then TensorFlow, and whether it sees a GPU (a graphics card, which does the many
# multiplications of a neural network in parallel). A GPU only matters for notebook 06,
# where a network is trained; there, the training cell prints how long each pass over
# the data took on your machine. Everything else runs on any CPU.

# %% tags=nbval-ignore-output,tensorflow
tf = convlab.import_tensorflow()
gpus = tf.config.list_physical_devices("GPU")
print(f"TensorFlow  {tf.__version__}")
names = ", ".join(gpu.name for gpu in gpus)
print("GPU:", names if gpus else "none: notebook 06 trains on the CPU")

# %% [lite]
# TensorFlow does not run in the browser, and neither does a GPU. Here the full edition
# reports TensorFlow's version and whether it sees a GPU, which only notebook 06 needs
# (it trains a network). Everything in notebooks 00-04 runs on `convlab`, which is
# NumPy.

# %% [markdown] tags=tensorflow
# A quick health check that matters more than version numbers: does `convlab` give the
# same answer as TensorFlow on this machine? The cell runs one convolution both ways;
# don't mind the words yet (convolution, kernel, stride, padding: notebooks 01 and 02
# explain them). Both compute in float32, which keeps about seven significant digits,
# and may add the same numbers in a different order; "the same" therefore means equal
# to within float32 rounding (`np.allclose` with a tolerance of 1e-5).

# %% tags=tensorflow
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 9, 9, 3)).astype(np.float32)
kernel = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
ours = convlab.conv2d(x, kernel, strides=2, padding="same")
theirs = tf.nn.conv2d(x, kernel, strides=2, padding="SAME").numpy()
print("shape:", ours.shape)
print("same numbers as TensorFlow, to float32 precision:", np.allclose(ours, theirs, atol=1e-5))

# %% [lite]
# **The health check.** In the full edition, a check here runs `convlab.conv2d` and
# TensorFlow's `tf.nn.conv2d` on the same random batch and finds the same numbers, to
# float32 precision. That cannot run in the browser, but the `convlab` you use here is
# the same code: its tests compare every operation with TensorFlow.

# %% [markdown]
# ## Images are arrays
#
# Everything in this course is a NumPy array. A grayscale image is a 2-D array of
# brightness values, height first. Deep learning libraries want more axes than that:
# TensorFlow's default layout is **NHWC** — a *batch* of images (N), each with a
# height (H), a width (W) and *channels* (C: 1 for gray, 3 for red, green and blue).
# So one grayscale image of 28 x 28 pixels becomes an array of shape `(1, 28, 28, 1)`.

# %%
digit = np.zeros((28, 28))  # a blank 28 x 28 grayscale image
print(digit.shape, "as one NHWC image:", np.zeros((1, 28, 28, 1)).shape)

# %%
photo = convlab.data.photo()  # a colour portrait, (height, width, 3)
batch = photo[None]  # a batch axis in front: one image
print(photo.shape, "->", batch.shape)

# %% [markdown]
# A colour image already has its channel axis, so it only needs the batch axis. A
# grayscale image needs both — that is the exercise below. `convlab.viz.show_image`
# draws images given as 2-D arrays, `(h, w, 3)` arrays or batches of one:

# %%
convlab.viz.show_image(batch, title="one RGB image, NHWC (1, h, w, 3)")

# %% [markdown]
# **Predict, then run.** Sixteen such photos stacked into one batch: what is the
# batch's shape? And what is the shape of its first image's red channel,
# `photos[0, :, :, 0]`? Decide, then run the cell.

# %%
photos = np.stack([photo] * 16)
print("batch:", photos.shape, "| red channel of the first image:", photos[0, :, :, 0].shape)

# %% [markdown]
# ## Summary
#
# * Run notebooks top to bottom; predict before you run where a cell asks you to;
#   exercises are checked in the cell after them.
# * Images are arrays; TensorFlow and `convlab` use the NHWC layout `(batch, height,
#   width, channels)`.
# * `convlab` gives TensorFlow's numbers to float32 precision (the health check above).
#
# ## Exercise
#
# Write `to_batch`, which turns a 2-D grayscale image `(h, w)` into an NHWC batch of
# one image, `(1, h, w, 1)`. (The check tries a few shapes and tells you which axis is
# missing or misplaced.)

# %% [exercise] to_batch

# %%
exercises.check("to_batch", to_batch)
