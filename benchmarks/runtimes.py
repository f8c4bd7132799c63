"""The CPU inference runtimes the benchmark compares, each built from the same Keras MobileNetV2.

Every builder takes the reference Keras model, a scratch folder and a thread count, and returns a
``Predictor``: a function from a float32 batch ``[b, 224, 224, 3]`` (already MobileNetV2-preprocessed)
to float32 features ``[b, 1280]``. Conversions use Keras' own ``model.export``:
- ``keras``: the reference, plain Keras ``predict_on_batch``;
- ``keras_tf_function``: the same model called through one traced ``tf.function`` (what the job does);
- ``tflite_xnnpack``: ``export(format="litert")`` (TFLiteConverter) run by the LiteRT interpreter,
  whose default CPU path is XNNPACK - the code of the job's ``--backend tflite`` (``fruits_spark.backends``);
- ``onnxruntime``: ``export(format="onnx")`` (tf2onnx) run by ONNX Runtime's CPU provider;
- ``openvino``: the same ONNX file compiled by OpenVINO's CPU plugin (Keras' own OpenVINO export needs
  scipy, which is not installed), in float32 like the others: on a CPU with AVX512-BF16 (this one) its
  default precision is bfloat16, whose features fell to cosine 0.979 against Keras (EMR's m5 nodes have
  no BF16 anyway).
The Keras runtimes use TensorFlow's default pools (one thread per core); the others get ``threads``
intra-op threads (the run passes the core count), so all compete on the same cores.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

Predictor = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Runtime:
    """A named way to run the model; ``build(keras_model, workdir, threads)`` returns its Predictor."""

    name: str
    build: Callable[[object, Path, int], Predictor]


def build_keras(model, workdir: Path, threads: int) -> Predictor:
    """Plain Keras: the model's compiled predict function, one call per batch."""
    return lambda batch: np.asarray(model.predict_on_batch(batch), dtype=np.float32)


def build_keras_tf_function(model, workdir: Path, threads: int) -> Predictor:
    """The production job's embedder (``fruits_spark.model.keras_embedder``) in this process."""
    from fruits_spark.model import keras_embedder

    return keras_embedder(model)


def onnx_file(model, workdir: Path) -> Path:
    """``model.export(format="onnx")`` (tf2onnx) into ``workdir`` once; both ONNX-based runtimes reuse it."""
    path = workdir / "mobilenet_v2.onnx"
    if not path.is_file():
        model.export(str(path), format="onnx", verbose=False)
    return path


def tflite_file(model, workdir: Path) -> Path:
    """The job's TFLite conversion (``fruits_spark.backends.to_tflite``) saved in ``workdir`` once."""
    from fruits_spark.backends import to_tflite

    path = workdir / "mobilenet_v2.tflite"
    if not path.is_file():
        path.write_bytes(to_tflite(model))
    return path


def build_tflite_xnnpack(model, workdir: Path, threads: int) -> Predictor:
    """The featurize job's ``tflite`` backend in this process: Keras' LiteRT export + LiteRT interpreter."""
    from fruits_spark.backends import litert_embedder

    return litert_embedder(tflite_file(model, workdir).read_bytes(), threads)


def build_onnxruntime(model, workdir: Path, threads: int) -> Predictor:
    """ONNX Runtime, CPU execution provider, over the tf2onnx export."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        str(onnx_file(model, workdir)), options, providers=["CPUExecutionProvider"]
    )
    input_name = session.get_inputs()[0].name
    return lambda batch: session.run(None, {input_name: batch})[0]


def build_openvino(model, workdir: Path, threads: int) -> Predictor:
    """OpenVINO CPU plugin over the ONNX export, float32, latency hint (one request at a time)."""
    import openvino as ov

    compiled = ov.Core().compile_model(
        str(onnx_file(model, workdir)),
        "CPU",
        {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
         "INFERENCE_PRECISION_HINT": "f32"},
    )
    request = compiled.create_infer_request()
    return lambda batch: request.infer([batch])[0].copy()


RUNTIMES: tuple[Runtime, ...] = (
    Runtime("keras", build_keras),
    Runtime("keras_tf_function", build_keras_tf_function),
    Runtime("tflite_xnnpack", build_tflite_xnnpack),
    Runtime("onnxruntime", build_onnxruntime),
    Runtime("openvino", build_openvino),
)
REFERENCE = "keras"
# Conversion paths tried while building this benchmark that did not work (kept in the results for the record).
CONVERSION_NOTES = (
    "TFLite via tf.lite.TFLiteConverter.from_concrete_functions on a tf.function wrapping the Keras 3 model: "
    "the weights stay resource variables; LiteRT then gives NaN features (XNNPACK) or fails in "
    "READ_VARIABLE. "
    "Keras' model.export(format='litert') (SavedModel -> TFLiteConverter) freezes them and works.",
    "OpenVINO via Keras' model.export(format='openvino'): needs scipy (not installed); "
    "OpenVINO reads the ONNX export instead.",
)
