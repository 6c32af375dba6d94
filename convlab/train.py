"""Train convnets on MNIST with TensorFlow: on the GPU when TensorFlow sees one, else the CPU.

Two recipes:

* ``"classic"`` — the network of the source notes: conv 5x5x32 → pool → conv 5x5x64 →
  pool → dense 1024 → dropout → 10 (3.27 M parameters, most in the dense layer).
* ``"lean"`` (default) — small and fast: four 3x3 convolutions with batch
  normalisation, global average pooling, random shifts of up to 10 % as
  augmentation, Adam with a cosine schedule (132 k parameters).

:func:`train_mnist` keeps the whole dataset in memory (``tf.data`` with cache and
prefetch), shows progress, says which device it uses, saves the trained model as
``.keras`` and, if a run is interrupted, resumes from its last epoch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ._tf import import_tensorflow

__all__ = ["RECIPES", "Recipe", "device_report", "load_or_train", "model_path", "train_mnist"]


@dataclass(frozen=True)
class Recipe:
    name: str
    build: object  # callable(keras) -> keras.Model, last layer float32 logits
    epochs: int
    batch_size: int
    learning_rate: float
    schedule: str  # "cosine" or "constant"
    description: str


def _classic(keras):
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 5, padding="same", activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(64, 5, padding="same", activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(1024, activation="relu", name="fc"),
            layers.Dropout(0.5, name="dropout"),
            layers.Dense(10, dtype="float32", name="logits"),
        ],
        name="classic",
    )


def _lean(keras):
    layers = keras.layers

    def block(filters, name):
        # Batch norm with momentum 0.9: its running statistics settle within the first
        # epoch even on small data (at Keras's 0.99 the test accuracy lags for epochs).
        return [
            layers.Conv2D(filters, 3, padding="same", use_bias=False, name=name),
            layers.BatchNormalization(momentum=0.9, name=f"{name}_bn"),
            layers.ReLU(name=f"{name}_relu"),
        ]

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.RandomTranslation(0.1, 0.1, fill_mode="constant", name="shift"),
            *block(32, "conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            *block(64, "conv2"),
            *block(64, "conv3"),
            layers.MaxPooling2D(2, name="pool2"),
            *block(128, "conv4"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dropout(0.3, name="dropout"),
            layers.Dense(10, dtype="float32", name="logits"),
        ],
        name="lean",
    )


def _keras_example(keras):
    """The Keras documentation's MNIST convnet (for the benchmark)."""
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, dtype="float32"),
        ],
        name="keras_example",
    )


RECIPES = {
    recipe.name: recipe
    for recipe in [
        Recipe("lean", _lean, 6, 128, 3e-3, "cosine", "4 conv + batch norm, GAP, shifts"),
        Recipe("classic", _classic, 6, 128, 1e-3, "constant", "the notes' network"),
        Recipe("keras_example", _keras_example, 15, 128, 1e-3, "constant", "Keras example"),
    ]
}


def device_report(tf=None) -> str:
    """Which device training will use, in words."""
    tf = tf or import_tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return f"CPU ({os.cpu_count()} cores): TensorFlow sees no GPU"
    names = []
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name") or gpu.name)
    suffix = f", {len(gpus)} GPUs with MirroredStrategy" if len(gpus) > 1 else ""
    return f"GPU: {', '.join(names)}{suffix}"


def _mixed_precision_ok(tf, gpus) -> bool:
    """float16 math pays off on GPUs with tensor cores (compute capability 7.0 or newer)."""
    for gpu in gpus:
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        if not capability or tuple(capability) < (7, 0):
            return False
    return bool(gpus)


def model_path(recipe: str = "lean", model_dir="models") -> Path:
    """Where :func:`train_mnist` saves a recipe's trained model."""
    return Path(model_dir) / f"mnist-{recipe}.keras"


def train_mnist(
    recipe="lean", *, data=None, epochs=None, seed=0, verbose=1, model_dir="models", callbacks=()
):
    """Train a recipe on MNIST; return ``(model, history)``.

    Parameters
    ----------
    recipe : {"lean", "classic", "keras_example"}
    data : ((x_train, y_train), (x_test, y_test)), optional
        NHWC float images in [0, 1] and integer labels; default
        :func:`convlab.data.load_mnist`. The test split is evaluated after each epoch.
    epochs : int, optional
        Default: the recipe's (6).
    seed : int
        Seeds weights, shuffling, dropout and augmentation; on the CPU, ops are made
        deterministic too, so a run repeats exactly on the same machine.
    verbose : {0, 1, 2}
        Keras's progress display: 0 quiet, 1 a progress bar, 2 a line per epoch.
    model_dir : str or Path
        The trained model is saved to ``model_dir/mnist-<recipe>.keras``; while training,
        ``model_dir/mnist-<recipe>-backup`` holds the last finished epoch, and a run
        that was interrupted resumes from it.
    callbacks : sequence of keras.callbacks.Callback
        Extra callbacks for ``model.fit`` (timing, early stopping, ...).

    Returns
    -------
    model : keras.Model
        Outputs logits (apply softmax for probabilities).
    history : keras.callbacks.History
        ``history.history`` has ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``
        per epoch.

    Notes
    -----
    On a GPU it uses mixed precision (compute capability 7.0 or newer), XLA
    compilation, and ``tf.distribute.MirroredStrategy`` when there are several GPUs.
    """
    if recipe not in RECIPES:
        raise ValueError(
            f"train_mnist: `recipe` must be one of {', '.join(RECIPES)}; received {recipe!r}."
        )
    spec = RECIPES[recipe]
    epochs = spec.epochs if epochs is None else epochs
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"train_mnist: `epochs` must be a positive int; received {epochs!r}.")
    tf = import_tensorflow()
    import keras

    if data is None:
        from .data import load_mnist

        data = load_mnist(verbose=bool(verbose))
    (x_train, y_train), (x_test, y_test) = data

    gpus = tf.config.list_physical_devices("GPU")
    keras.utils.set_random_seed(seed)
    if not gpus:
        tf.config.experimental.enable_op_determinism()
    mixed = _mixed_precision_ok(tf, gpus)
    if verbose:
        extras = ", mixed precision, XLA" if mixed else (", XLA" if gpus else "")
        print(f"Training '{recipe}' on {device_report(tf)}{extras}")

    strategy = tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    previous_policy = keras.mixed_precision.global_policy()
    try:
        if mixed:
            keras.mixed_precision.set_global_policy("mixed_float16")
        with strategy.scope():
            model = spec.build(keras)
            steps = epochs * -(-len(x_train) // spec.batch_size)
            rate = (
                keras.optimizers.schedules.CosineDecay(spec.learning_rate, steps)
                if spec.schedule == "cosine"
                else spec.learning_rate
            )
            model.compile(
                optimizer=keras.optimizers.Adam(rate),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"],
                jit_compile=bool(gpus),
            )
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)

    batch = spec.batch_size * strategy.num_replicas_in_sync
    train = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .cache()
        .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(batch)
        .prefetch(tf.data.AUTOTUNE)
    )
    test = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(1024).cache()
    target = model_path(recipe, model_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    backup = keras.callbacks.BackupAndRestore(str(target.with_name(f"{target.stem}-backup")))
    history = model.fit(
        train,
        epochs=epochs,
        validation_data=test,
        shuffle=False,  # the dataset shuffles itself, reproducibly from the seed
        verbose=verbose,
        callbacks=[backup, *callbacks],
    )
    model.save(target)
    if verbose:
        print(f"Saved the trained model to {target}")
    return model, history


def load_or_train(recipe="lean", *, model_dir="models", data=None, verbose=1):
    """The saved model of a recipe if there is one (see :func:`train_mnist`), else train it."""
    target = model_path(recipe, model_dir)
    if target.is_file():
        import_tensorflow()
        import keras

        if verbose:
            print(f"Loading the trained model from {target}")
        return keras.models.load_model(target)
    model, _ = train_mnist(recipe, data=data, verbose=verbose, model_dir=model_dir)
    return model
