"""Checks Atelier's exports from Python (numpy + safetensors only).

    check_export.py cases DIR
        For every DIR/NAME.safetensors with a DIR/NAME.expected.safetensors beside it (the
        images, uint8 [n, 784], and the probabilities Atelier computed, f32 [n, 10]; written by
        tests/export_python.rs), runs the model in numpy and compares.
    check_export.py accuracy MODEL DATA_DIR
        Prints, as JSON, the model's accuracy on the 10,000 Fashion-MNIST test images in
        DATA_DIR (t10k-*-idx*-ubyte.gz): the e2e suite compares it with the page's figure.
"""

import gzip
import json
import pathlib
import sys

import numpy as np
from safetensors.numpy import load_file

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from atelier_model import load, predict  # noqa: E402

# Largest difference between numpy's and Atelier's probabilities: both compute in f32, in
# different orders (measured: at most 1.8e-7, the Baseline CNN); a wrong layout, activation or
# normalisation is off by orders of magnitude more.
TOLERANCE = 1e-5


def cases(directory):
    checked = []
    for expected_path in sorted(pathlib.Path(directory).glob("*.expected.safetensors")):
        name = expected_path.name.removesuffix(".expected.safetensors")
        model = load(expected_path.with_name(f"{name}.safetensors"))
        expected = load_file(expected_path)
        probabilities = predict(model, expected["images"])
        difference = float(np.abs(probabilities - expected["probabilities"]).max())
        same_class = bool((probabilities.argmax(1) == expected["probabilities"].argmax(1)).all())
        checked.append({"model": name, "kind": model["config"]["kind"], "images": len(probabilities),
                        "max_difference": difference, "same_classes": same_class})
        if difference > TOLERANCE or not same_class:
            print(json.dumps(checked))
            sys.exit(f"{name}: numpy's probabilities differ from Atelier's by {difference}")
    if not checked:
        sys.exit(f"no *.expected.safetensors in {directory}")
    print(json.dumps(checked))


def idx(path, offset):
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def accuracy(model_path, data_dir):
    model = load(model_path)
    images = idx(pathlib.Path(data_dir) / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    labels = idx(pathlib.Path(data_dir) / "t10k-labels-idx1-ubyte.gz", 8)
    predicted = np.concatenate([predict(model, images[i:i + 1000]).argmax(1) for i in range(0, len(images), 1000)])
    print(json.dumps({"kind": model["config"]["kind"], "correct": int((predicted == labels).sum()),
                      "images": len(labels), "metadata_test_accuracy": model["test_accuracy"]}))


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["cases", directory]:
            cases(directory)
        case ["accuracy", model_path, data_dir]:
            accuracy(model_path, data_dir)
        case _:
            sys.exit(__doc__)
