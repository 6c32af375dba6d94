"""Train the default recipe and the Keras example recipe on the same data, in one process.

Run with ``python benchmarks/mnist.py`` (data: ``load_mnist()``'s usual order, so set
``CONVLAB_MNIST_PATH`` offline). Prints, per recipe, the device, training time
(wall clock, including compilation), the epoch at which test accuracy first reached
98.5 % and 99 % with the time until then, and the final test accuracy. Then times
``convlab.numpy_predict`` against ``model.predict`` on the whole test set (median of 5).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import machine  # noqa: E402  (benchmarks/machine.py)
import numpy as np  # noqa: E402

import convlab  # noqa: E402
from convlab import data, train  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=["lean", "keras_example"])
    args = parser.parse_args()
    tf = convlab.import_tensorflow()
    import keras

    print(machine.describe(np, tf))
    mnist = data.load_mnist()
    (_, _), (x_test, y_test) = mnist
    print(train.device_report(tf))
    print()
    print("| recipe | parameters | epochs | time | first >= 98.5 % | first >= 99 % | accuracy |")
    print("|---|---:|---:|---:|---|---|---:|")
    models = {}
    for name in args.recipes:
        epoch_times = []

        class Clock(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                epoch_times.append(time.perf_counter() - self.start)  # noqa: B023

        with tempfile.TemporaryDirectory() as scratch:
            model, history = train.train_mnist(
                name, data=mnist, verbose=0, model_dir=scratch, callbacks=[Clock()]
            )
        accuracy = history.history["val_accuracy"]

        def first(level):
            for epoch, (value, seconds) in enumerate(zip(accuracy, epoch_times, strict=True), 1):  # noqa: B023
                if value >= level:
                    return f"epoch {epoch}, {seconds:.0f} s"
            return "not reached"

        print(
            f"| {name} | {model.count_params():,} | {len(accuracy)} | {epoch_times[-1]:.0f} s | "
            f"{first(0.985)} | {first(0.99)} | {accuracy[-1]:.2%} |",
            flush=True,
        )
        models[name] = model

    model = models[args.recipes[0]]
    timings = {"model.predict": [], "convlab.numpy_predict": []}
    ours = convlab.numpy_predict(model, x_test)
    theirs = model.predict(x_test, verbose=0)
    for _ in range(5):
        for label, run in (
            ("model.predict", lambda: model.predict(x_test, verbose=0)),
            ("convlab.numpy_predict", lambda: convlab.numpy_predict(model, x_test)),
        ):
            start = time.perf_counter()
            run()
            timings[label].append(time.perf_counter() - start)
    tf_time, np_time = (statistics.median(timings[k]) for k in timings)
    print()
    same = bool((ours.argmax(1) == theirs.argmax(1)).all())
    print(
        f"numpy_predict on {len(x_test):,} test images ({args.recipes[0]}): "
        f"{np_time:.2f} s vs model.predict {tf_time:.2f} s = {np_time / tf_time:.2f}x; "
        f"max |difference| {np.abs(ours - theirs).max():.1e}; same classes: {same}; "
        f"accuracy {(ours.argmax(1) == y_test).mean():.2%}"
    )


if __name__ == "__main__":
    main()
