"""How vLLM V1 sizes its GPU KV cache at start-up, so a simulated engine gets the KV capacity a real one gets.

Read from the vLLM 0.19.0 release wheel (``vllm-0.19.0-cp38-abi3-manylinux_2_31_x86_64.whl``, the version of the
shared LLMServingSim runs):

* ``vllm/v1/worker/gpu_worker.py``, ``Worker.init_device``: ``init_snapshot = MemorySnapshot()`` and
  ``requested_memory = init_snapshot.total_memory * gpu_memory_utilization``. ``total_memory`` is
  ``torch.cuda.mem_get_info``'s total, which is less than the card's capacity by what the driver keeps
  (``MemorySpec.reserved``).
* ``Worker.determine_available_memory``: inside ``memory_profiling(init_snapshot, weights_memory=
  model_runner.model_memory_usage)`` it runs ``model_runner.profile_run()`` and then
  ``profile_cudagraph_memory()``; ``available_kv_cache_memory_bytes = requested_memory - non_kv_cache_memory -
  cudagraph_memory_estimate_applied`` with ``non_kv_cache_memory = weights + torch_peak_increase +
  non_torch_increase`` (``vllm/utils/mem_utils.py``, ``memory_profiling``). ``torch_peak_increase`` is the rise of
  ``allocated_bytes.all.peak`` over the profile run, read *before* the CUDA-graph profiling. The CUDA-graph estimate
  is applied only with ``VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1``, whose default in 0.19.0 is ``"0"``
  (``vllm/envs.py``; the default turned on in v0.21.0). So in 0.19 the graphs are captured after the KV cache is
  allocated (``compile_or_warm_up_model``) and are not subtracted from it.
* ``vllm/v1/worker/gpu_model_runner.py``, ``profile_run``: ``_dummy_run(max_num_tokens, is_profile=True)`` (one
  forward of ``max_num_batched_tokens`` tokens split over ``min(max_num_batched_tokens, max_num_seqs)`` dummy
  requests, attention metadata absent), then ``_dummy_sampler_run(last_hidden_states)`` while the run's
  ``hidden_states`` [tokens, hidden] and ``last_hidden_states`` [requests, hidden] are still held.
* ``_dummy_sampler_run``: ``torch.rand_like(hidden_states)`` [R, hidden], ``compute_logits`` -> [R, vocab] in the
  model dtype (kept alive by the caller), then ``Sampler.forward`` with temperature 0.5, top-p 0.9,
  top-k vocab-1, no penalties, no logprobs (``vllm/v1/sample/sampler.py``): ``logits.to(torch.float32)``
  (4 B per entry), greedy ``argmax`` ([R] int64), in-place temperature, then ``TopKTopPSampler.forward_native``
  (``vllm/v1/sample/ops/topk_topp_sampler.py``; FlashInfer is opt-in in 0.19 via ``VLLM_USE_FLASHINFER_SAMPLER``).
  ``apply_top_k_top_p`` takes the Triton kernel for R >= 8 (``apply_top_k_top_p_triton``,
  ``vllm/v1/sample/ops/topk_topp_triton.py``: in place on the fp32 logits, plus a cached fp32 buffer of
  ``min(next_power_of_2(min(num_SMs, R)), num_SMs)`` rows x vocab) and the PyTorch sort for R < 8
  (``apply_top_k_top_p_pytorch``: fp32 sorted values, int64 indices, a bool top-k mask, fp32 top-p probabilities
  (cumsum in place) and a bool top-p mask, all live at the final ``scatter_``). Then ``softmax`` -> fp32 probs
  (4 B) and ``random_sample``: ``q = torch.empty_like(probs)`` (4 B), ``probs.div_(q).argmax``.

What is left out: the non-torch increase (memory allocated outside PyTorch between the start-up snapshot and the end
of profiling: lazily loaded kernel modules, cuBLAS handles, FlashAttention/Triton state). vLLM measures it and
publishes no figure for it, and none was found for these GPUs, so it is 0 here. The CUDA context and NCCL are
allocated before ``init_snapshot`` and are outside vLLM's budget. Also left out: buffers vLLM allocates before the
profile (persistent input buffers), which its formula does not count either; the rotary cos/sin cache that
``model_memory_usage`` includes with the weights (max_position x rotary_dim in the model dtype, 32 MiB for
Llama-3.1-8B); sort workspaces of the R < 8 path; and what ``torch.compile`` allocates while it compiles inside the
profile run.
"""

from __future__ import annotations

from dataclasses import dataclass

FP32_BYTES = 4
INT64_BYTES = 8
BOOL_BYTES = 1
TRITON_TOPK_TOPP_MIN_ROWS = 8  # apply_top_k_top_p: "if HAS_TRITON and logits.shape[0] >= 8"


def _next_power_of_2(n: int) -> int:
    return 1 << max(0, int(n) - 1).bit_length()


def dummy_request_count(max_num_seqs: int, max_num_batched_tokens: int) -> int:
    """Requests of the profile run's dummy batch: ``_dummy_run`` uses ``min(num_tokens, max_num_seqs)``."""
    return max(1, min(int(max_num_seqs), int(max_num_batched_tokens)))


def triton_buffer_rows(num_reqs: int, sm_count: int | None) -> int:
    """Rows of the fp32 buffer ``apply_top_k_top_p_triton`` caches: ``min(next_power_of_2(P), num_SMs)`` with
    ``P = min(num_SMs, batch)`` Triton programs. 0 without an SM count (no Triton kernel to size)."""
    if sm_count is None or num_reqs < TRITON_TOPK_TOPP_MIN_ROWS:
        return 0
    programs = min(int(sm_count), int(num_reqs))
    return min(_next_power_of_2(programs), int(sm_count))


def sampler_bytes_per_entry(num_reqs: int, logits_dtype_bytes: float = 2.0) -> float:
    """Bytes per (request, vocabulary entry) live at the peak of vLLM 0.19's dummy sampler run.

    Always live: the model-dtype logits from ``compute_logits`` and their fp32 copy. With the Triton top-k/top-p
    kernel (R >= 8) the peak is at ``random_sample``: + fp32 probs + fp32 exponential noise ``q``
    = ``logits_dtype_bytes + 4 + 4 + 4`` (14 B for bf16). With the PyTorch sort (R < 8) it is at the final
    ``scatter_`` of ``apply_top_k_top_p_pytorch``: + fp32 sorted values + int64 indices + bool top-k mask + fp32 top-p
    probabilities + bool top-p mask = ``logits_dtype_bytes + 4 + 18`` (24 B for bf16), larger than its later
    probs + noise."""
    base = logits_dtype_bytes + FP32_BYTES
    random_sample = base + FP32_BYTES + FP32_BYTES
    if num_reqs >= TRITON_TOPK_TOPP_MIN_ROWS:
        return random_sample
    sort = base + FP32_BYTES + INT64_BYTES + BOOL_BYTES + FP32_BYTES + BOOL_BYTES
    return max(sort, random_sample)


def sampler_peak_bytes(num_reqs: int, vocab_size: int, *, logits_dtype_bytes: float = 2.0,
                       sm_count: int | None = None) -> float:
    """Peak bytes ``_dummy_sampler_run`` allocates for ``num_reqs`` dummy requests over ``vocab_size`` logits:
    ``num_reqs * vocab_size * sampler_bytes_per_entry`` plus the Triton kernel's cached buffer
    (``triton_buffer_rows * vocab_size * 4``). The per-request vectors (temperature, top-k/top-p, argmax) are
    negligible and not counted."""
    entries = float(num_reqs) * float(vocab_size)
    buffer = triton_buffer_rows(num_reqs, sm_count) * float(vocab_size) * FP32_BYTES
    return entries * sampler_bytes_per_entry(num_reqs, logits_dtype_bytes) + buffer


@dataclass(frozen=True)
class VllmKvBudget:
    """The terms of vLLM 0.19's ``determine_available_memory`` for one GPU, in bytes."""

    total_bytes: float  # torch.cuda.mem_get_info total: capacity - driver-reserved
    gpu_memory_utilization: float
    weights_bytes: float  # model_memory_usage
    forward_peak_bytes: float  # activation peak of the max_num_batched_tokens dummy forward
    sampler_phase_bytes: float  # dummy-run outputs still held + the dummy sampler run's peak
    non_torch_bytes: float = 0.0  # non_torch_increase: no documented figure, 0 (see module docstring)
    cudagraph_bytes: float = 0.0  # not subtracted in 0.19 (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0)

    @property
    def requested_bytes(self) -> float:
        return self.total_bytes * self.gpu_memory_utilization

    @property
    def torch_peak_increase_bytes(self) -> float:
        """Rise of torch's allocated peak over ``profile_run``: the larger of its two phases (the forward's
        intermediates are freed before the sampler runs)."""
        return max(self.forward_peak_bytes, self.sampler_phase_bytes)

    @property
    def non_kv_bytes(self) -> float:
        return self.weights_bytes + self.torch_peak_increase_bytes + self.non_torch_bytes + self.cudagraph_bytes

    @property
    def kv_cache_bytes(self) -> float:
        return max(0.0, self.requested_bytes - self.non_kv_bytes)


def vllm_kv_budget(*, total_bytes: float, gpu_memory_utilization: float, weights_bytes: float,
                   forward_peak_bytes: float, max_num_seqs: int, max_num_batched_tokens: int, vocab_size: int,
                   hidden_size: int, act_dtype_bytes: float = 2.0, logits_dtype_bytes: float | None = None,
                   sm_count: int | None = None, non_torch_bytes: float = 0.0) -> VllmKvBudget:
    """vLLM 0.19's KV budget of one GPU (``Worker.determine_available_memory``).

    ``total_bytes`` is the runtime-reported total (``MemorySpec.visible_bytes``), ``weights_bytes`` the per-GPU
    weights, ``forward_peak_bytes`` the activation peak of a ``max_num_batched_tokens`` forward (cosim's
    ``activation_peak_bytes``). The sampler phase holds the dummy run's ``hidden_states`` [tokens, hidden] and
    ``last_hidden_states`` [R, hidden], ``torch.rand_like`` of the latter, and :func:`sampler_peak_bytes` for
    ``R = min(max_num_seqs, max_num_batched_tokens)`` requests. With tensor parallelism every rank all-gathers the
    full-vocabulary logits (``LogitsProcessor._gather_logits``) and samples them, so ``vocab_size`` is the full
    vocabulary on every GPU."""
    reqs = dummy_request_count(max_num_seqs, max_num_batched_tokens)
    held = (float(max_num_batched_tokens) + 2.0 * reqs) * hidden_size * act_dtype_bytes
    sampler = sampler_peak_bytes(reqs, vocab_size, logits_dtype_bytes=logits_dtype_bytes or act_dtype_bytes,
                                 sm_count=sm_count)
    return VllmKvBudget(total_bytes=float(total_bytes), gpu_memory_utilization=float(gpu_memory_utilization),
                        weights_bytes=float(weights_bytes), forward_peak_bytes=float(forward_peak_bytes),
                        sampler_phase_bytes=held + sampler, non_torch_bytes=float(non_torch_bytes))


def kv_tokens(kv_cache_bytes: float, bytes_per_token: float, block_size: int | None = None) -> int:
    """KV entries that fit: whole blocks of ``block_size`` tokens when given (vLLM's ``num_gpu_blocks`` is
    ``available // page_size``), else whole tokens."""
    if bytes_per_token <= 0:
        return 0
    if block_size:
        return int(max(0.0, kv_cache_bytes) // (bytes_per_token * block_size)) * int(block_size)
    return int(max(0.0, kv_cache_bytes) // bytes_per_token)
