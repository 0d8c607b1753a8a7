"""Hand-built graphs, devices and systems that follow docs/design.md, for unit tests of mapping/perf/schedule.

They let these stages be tested without the workload and hardware stages, and with numbers a test
can derive by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from cosim.hardware.caps import DeviceCaps, DeviceKind, LinkCaps
from cosim.workload.dtypes import DType
from cosim.workload.ops import ATTENTION_KINDS, Operator, OpKind, Phase, TensorAccess, TensorClass


@dataclass(frozen=True)
class FakeTensor:
    name: str
    cls: TensorClass
    bytes: float


@dataclass
class FakeSlot:
    spec: Any = None
    count: int = 1
    memory_of: str | None = None
    cost_model: str | None = None


@dataclass
class FakeSystem:
    name: str
    devices: dict[str, FakeSlot]
    device_caps: dict[str, DeviceCaps]
    links: dict[frozenset[str], LinkCaps] = field(default_factory=dict)
    collective: dict[str, LinkCaps] = field(default_factory=dict)

    def caps(self, name: str) -> DeviceCaps:
        return self.device_caps[name]

    def link_between(self, a: str, b: str) -> LinkCaps | None:
        owner_a = self.devices[a].memory_of or a
        owner_b = self.devices[b].memory_of or b
        if owner_a == owner_b:
            return None
        return self.links.get(frozenset((a, b)))

    def collective_link(self, name: str) -> LinkCaps | None:
        return self.collective.get(name)

    def compute_devices(self) -> list[str]:
        return [n for n, c in self.device_caps.items() if c.kind in (DeviceKind.GPU, DeviceKind.NPU)]

    def pim_devices(self) -> list[str]:
        return [n for n, c in self.device_caps.items() if c.kind.is_pim]


# Round numbers of the order of an H100-SXM (989 TFLOP/s dense bf16, 3.35 TB/s, 80 GB) and a CHIME-like
# DIMM-PIM pool (13 TB/s internal, 2 TB); tests derive expectations from these, not from a datasheet.
def gpu_caps(
    name: str = "gpu",
    *,
    bw: float = 3.35e12,
    matrix: float = 989e12,
    vector: float = 67e12,
    capacity: float = 80e9,
    overhead: float = 4e-6,
    eff_c: float = 0.8,
    eff_m: float = 0.9,
) -> DeviceCaps:
    return DeviceCaps(
        name=name,
        kind=DeviceKind.GPU,
        matrix_flops_per_s={DType.BF16: matrix, DType.FP16: matrix, DType.FP8: 2 * matrix},
        vector_flops_per_s={DType.BF16: vector, DType.FP16: vector, DType.FP32: vector},
        mem_bw_bytes_per_s=bw,
        mem_capacity_bytes=capacity,
        compute_efficiency=eff_c,
        memory_efficiency=eff_m,
        op_overhead_s=overhead,
    )


def pim_caps(
    name: str = "pim",
    *,
    bw: float = 13e12,
    matrix: float = 6.5e12,
    capacity: float = 2e12,
    overhead: float = 1e-6,
    kind: DeviceKind = DeviceKind.DIMM_PIM,
    kinds: frozenset[OpKind] | None = None,
) -> DeviceCaps:
    kinds = kinds if kinds is not None else frozenset(ATTENTION_KINDS | {OpKind.KV_CACHE_WRITE})
    return DeviceCaps(
        name=name,
        kind=kind,
        matrix_flops_per_s={DType.BF16: matrix, DType.FP16: matrix},
        vector_flops_per_s={DType.BF16: matrix / 4, DType.FP16: matrix / 4},
        mem_bw_bytes_per_s=bw,
        mem_capacity_bytes=capacity,
        compute_efficiency=1.0,
        memory_efficiency=1.0,
        op_overhead_s=overhead,
        supported_kinds=kinds,
    )


PCIE = LinkCaps(name="pcie", kind="pcie", bw_bytes_per_s=64e9, latency_s=2e-6)
NVLINK = LinkCaps(name="nvlink", kind="nvlink", bw_bytes_per_s=450e9, latency_s=3e-6)


def gpu_system(*, gpus: int = 1, **caps_kw: Any) -> FakeSystem:
    return FakeSystem(
        name="fake-gpu",
        devices={"gpu": FakeSlot(count=gpus)},
        device_caps={"gpu": gpu_caps(**caps_kw)},
        collective={"gpu": NVLINK} if gpus > 1 else {},
    )


def gpu_pim_system(
    *,
    gpus: int = 1,
    pim_count: int = 1,
    pim_kw: dict | None = None,
    link: LinkCaps | None = PCIE,
    hbm: bool = False,
    **gpu_kw: Any,
) -> FakeSystem:
    """GPU + DIMM-PIM over PCIe, or (hbm=True) GPU + HBM-PIM computing inside the GPU's memory."""
    kind = DeviceKind.HBM_PIM if hbm else DeviceKind.DIMM_PIM
    devices = {
        "gpu": FakeSlot(count=gpus),
        "pim": FakeSlot(count=pim_count, memory_of="gpu" if hbm else None),
    }
    caps = {"gpu": gpu_caps(**gpu_kw), "pim": pim_caps(kind=kind, **(pim_kw or {}))}
    links = {frozenset(("gpu", "pim")): link} if (link is not None and not hbm) else {}
    return FakeSystem(
        name="fake-gpu-pim",
        devices=devices,
        device_caps=caps,
        links=links,
        collective={"gpu": NVLINK} if gpus > 1 else {},
    )


def _act(name: str, shape: tuple[int, ...], dt: DType = DType.BF16) -> TensorAccess:
    n = 1
    for s in shape:
        n *= s
    return TensorAccess(name, TensorClass.ACTIVATION, dt, shape, n * dt.bytes)


def _weight(name: str, shape: tuple[int, ...], dt: DType = DType.BF16) -> TensorAccess:
    n = 1
    for s in shape:
        n *= s
    return TensorAccess(name, TensorClass.WEIGHT, dt, shape, n * dt.bytes)


def decoder_graph(
    phase: Phase | str = Phase.DECODE,
    batch: int = 8,
    context: int = 1024,
    *,
    tp: int = 1,
    layers: int = 32,
    hidden: int = 4096,
    heads: int = 32,
    kv_heads: int = 32,
    ffn: int = 11008,
    vocab: int = 32000,
    attention: str = "flash",
) -> nx.DiGraph:
    """A llama-like decoder step per the graph contract: one node per layer op with repeat = layers."""
    phase = Phase.parse(phase)
    dt = DType.BF16
    hd = hidden // heads
    h_r, kv_r, f_r = heads // tp, kv_heads // tp, ffn // tp
    q_len = 1 if phase is Phase.DECODE else context
    kv_len = context
    t = batch * q_len
    g = nx.DiGraph()
    ops: list[Operator] = []
    kvc = "kv_cache"

    def add(op: Operator, after: list[str]) -> None:
        g.add_node(op.name, op=op)
        for p in after:
            src = g.nodes[p]["op"]
            nbytes = sum(w.bytes for w in src.writes if w.cls is TensorClass.ACTIVATION)
            g.add_edge(p, op.name, tensor=f"{p}.out", bytes=nbytes)
        ops.append(op)

    add(
        Operator(
            "embed",
            OpKind.EMBEDDING,
            dt,
            0.0,
            reads=(_weight("embed.w", (t, hidden)),),
            writes=(_act("x", (t, hidden)),),
            repeat=1,
            instances=tp,
        ),
        [],
    )
    add(
        Operator(
            "norm1",
            OpKind.NORM,
            dt,
            4.0 * t * hidden,
            reads=(_act("x", (t, hidden)),),
            writes=(_act("xn", (t, hidden)),),
            repeat=layers,
            instances=tp,
            block="decoder",
        ),
        ["embed"],
    )
    qkv_n = (h_r + 2 * kv_r) * hd
    add(
        Operator(
            "qkv",
            OpKind.GEMM,
            dt,
            2.0 * t * hidden * qkv_n,
            reads=(_act("xn", (t, hidden)), _weight("qkv.w", (hidden, qkv_n))),
            writes=(_act("qkv", (t, qkv_n)),),
            repeat=layers,
            instances=tp,
            block="decoder",
        ),
        ["norm1"],
    )
    kv_new = 2 * t * kv_r * hd * dt.bytes
    add(
        Operator(
            "kv_write",
            OpKind.KV_CACHE_WRITE,
            dt,
            0.0,
            reads=(_act("kv_new", (2, t, kv_r, hd)),),
            writes=(TensorAccess(kvc, TensorClass.KV_CACHE, dt, (2, t, kv_r, hd), kv_new),),
            repeat=layers,
            instances=tp,
            block="decoder",
        ),
        ["qkv"],
    )
    kv_read = 2 * batch * kv_len * kv_r * hd * dt.bytes
    kv_cls = TensorClass.KV_CACHE if phase is Phase.DECODE else TensorClass.ACTIVATION
    pairs = kv_len if phase is Phase.DECODE else kv_len * (kv_len + 1) / 2
    attn_reads = (
        _act("q", (t, h_r * hd)),
        TensorAccess(
            kvc if kv_cls is TensorClass.KV_CACHE else "kv", kv_cls, dt, (2, batch, kv_len, kv_r, hd), kv_read
        ),
    )
    if attention == "flash":
        add(
            Operator(
                "attn",
                OpKind.FUSED_ATTENTION,
                dt,
                4.0 * batch * h_r * hd * pairs,
                reads=attn_reads,
                writes=(_act("attn_out", (t, h_r * hd)),),
                repeat=layers,
                instances=tp,
                block="decoder",
            ),
            ["kv_write"],
        )
        last = "attn"
    else:
        s_shape = (batch, h_r, q_len, kv_len)
        add(
            Operator(
                "score",
                OpKind.ATTENTION_SCORE,
                dt,
                2.0 * batch * h_r * hd * pairs,
                reads=(attn_reads[0], TensorAccess(kvc, kv_cls, dt, (batch, kv_len, kv_r, hd), kv_read / 2)),
                writes=(_act("s", s_shape),),
                repeat=layers,
                instances=tp,
                block="decoder",
            ),
            ["kv_write"],
        )
        add(
            Operator(
                "softmax",
                OpKind.SOFTMAX,
                dt,
                5.0 * batch * h_r * q_len * kv_len,
                reads=(_act("s", s_shape),),
                writes=(_act("p", s_shape),),
                repeat=layers,
                instances=tp,
                block="decoder",
            ),
            ["score"],
        )
        add(
            Operator(
                "context",
                OpKind.ATTENTION_CONTEXT,
                dt,
                2.0 * batch * h_r * hd * pairs,
                reads=(
                    _act("p", s_shape),
                    TensorAccess(kvc, kv_cls, dt, (batch, kv_len, kv_r, hd), kv_read / 2),
                ),
                writes=(_act("attn_out", (t, h_r * hd)),),
                repeat=layers,
                instances=tp,
                block="decoder",
            ),
            ["softmax"],
        )
        last = "context"
    add(
        Operator(
            "o_proj",
            OpKind.GEMM,
            dt,
            2.0 * t * h_r * hd * hidden,
            reads=(_act("attn_out", (t, h_r * hd)), _weight("o.w", (h_r * hd, hidden))),
            writes=(_act("o", (t, hidden)),),
            repeat=layers,
            instances=tp,
            block="decoder",
        ),
        [last],
    )
    prev = "o_proj"
    if tp > 1:
        add(
            Operator(
                "ar1",
                OpKind.ALL_REDUCE,
                dt,
                1.0 * t * hidden,
                reads=(_act("o", (t, hidden)),),
                writes=(_act("o_r", (t, hidden)),),
                repeat=layers,
                instances=tp,
                block="decoder",
            ),
            [prev],
        )
        prev = "ar1"
    add(
        Operator(
            "mlp_up",
            OpKind.GEMM,
            dt,
            2.0 * t * hidden * 2 * f_r,
            reads=(_act("o", (t, hidden)), _weight("up.w", (hidden, 2 * f_r))),
            writes=(_act("h", (t, f_r)),),
            repeat=layers,
            instances=tp,
            block="decoder",
        ),
        [prev],
    )
    add(
        Operator(
            "mlp_down",
            OpKind.GEMM,
            dt,
            2.0 * t * f_r * hidden,
            reads=(_act("h", (t, f_r)), _weight("down.w", (f_r, hidden))),
            writes=(_act("y", (t, hidden)),),
            repeat=layers,
            instances=tp,
            block="decoder",
        ),
        ["mlp_up"],
    )
    prev = "mlp_down"
    if tp > 1:
        add(
            Operator(
                "ar2",
                OpKind.ALL_REDUCE,
                dt,
                1.0 * t * hidden,
                reads=(_act("y", (t, hidden)),),
                writes=(_act("y_r", (t, hidden)),),
                repeat=layers,
                instances=tp,
                block="decoder",
            ),
            [prev],
        )
        prev = "ar2"
    rows = batch  # last token of each request
    add(
        Operator(
            "lm_head",
            OpKind.LM_HEAD,
            dt,
            2.0 * rows * hidden * vocab,
            reads=(_act("y", (rows, hidden)), _weight("lm_head.w", (hidden, vocab // tp))),
            writes=(_act("logits", (rows, vocab // tp)),),
            repeat=1,
            instances=tp,
        ),
        [prev],
    )

    layer_weights = (hidden * qkv_n + h_r * hd * hidden + 3 * hidden * f_r) * dt.bytes * layers
    tensors = {
        "embed.w": FakeTensor("embed.w", TensorClass.WEIGHT, vocab * hidden * dt.bytes),
        "layers.w": FakeTensor("layers.w", TensorClass.WEIGHT, layer_weights),
        "lm_head.w": FakeTensor("lm_head.w", TensorClass.WEIGHT, vocab // tp * hidden * dt.bytes),
        kvc: FakeTensor(
            kvc, TensorClass.KV_CACHE, 2 * batch * (context + q_len) * kv_r * hd * dt.bytes * layers
        ),
    }
    peak = max(op.bytes_read(TensorClass.ACTIVATION) + op.bytes_written(TensorClass.ACTIVATION) for op in ops)
    g.graph.update(
        model="fake-llama",
        model_config=None,
        phase=phase,
        batch=batch,
        context=context,
        tokens=t,
        tp=tp,
        fusion="fused",
        attention=attention,
        dtype=dt,
        weight_dtype=dt,
        k_dtype=dt,
        v_dtype=dt,
        num_layers=layers,
        tensors=tensors,
        activation_peak_bytes=peak,
    )
    return g
