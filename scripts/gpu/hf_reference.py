#!/usr/bin/env python3
"""Measures the reference PyTorch stack users run, beside the planner's `--runtime pytorch` predictions.

Each configuration builds a Hugging Face model from its config (random weights, nothing downloaded), sets its optimizer up
the way transformers' Trainer does (transformers/trainer_optimizer.py: `_get_adamw_torch`, `_get_adafactor`,
`_setup_low_rank_optimizer` with its per-parameter optimizers and post-accumulate-grad hooks for layerwise names), trains a
few real steps and records, per measured step, torch.cuda.max_memory_allocated / max_memory_reserved and the device-used
memory NVML reports, each beside the planner's prediction for the same step.

Subcommands
  plan   (a machine with the planner) asks `galore-plan` for every row's model shape and predictions; writes PLAN.json.
  run    (the GPU machine) runs the plan's rows, a worker process per group of rows, resuming from OUT/reference.csv;
         rows are appended as they finish. --budget-s stops starting rows that would not finish in time.
  worker (internal) measures a list of rows in one process, with a checked-clean reset between them.
  probe  times and measures torch.linalg.svd for the plan's projected shapes (GaLore refresh cost).

  python3 scripts/gpu/hf_reference.py plan --planner "dotnet src/Cli/bin/Release/net10.0/galore-plan.dll" --out .gpu/hf-plan.json
  python3 scripts/gpu/hf_reference.py run --plan .gpu/hf-plan.json --out OUT --galore-src .gpu/galore-src --budget-s 300
  python3 scripts/gpu/hf_reference.py run --plan .gpu/hf-plan.json --out OUT --dry-run      # validate and print the plan

galore-torch (jiaweizzhao/GaLore) is loaded from --galore-src without installing it: its package __init__ imports
bitsandbytes (for GaLoreAdamW8bit) and galore_projector_tensor imports tensorly (only for >2-D tensors), so the modules
are loaded one by one; 8-bit rows run only where bitsandbytes imports, otherwise they are listed as not measured.
"""
import argparse
import csv
import gc
import importlib
import importlib.util
import json
import math
import os
import shlex
import subprocess
import sys
import threading
import time
import types

CSV_NAME = "reference.csv"
NOT_CLEAN = 3          # a worker's exit code when the allocator is not empty between rows: the rest go to a fresh process
WORKER_START_S = 12.0  # a worker's start: Python, torch, transformers and CUDA initialisation
GiB = float(1 << 30)

# --------------------------------------------------------------------------------------------------------------- matrix

def _row(model, optim, dtype, batch, seq, planner=None, ckpt=False, attention="sdpa", lora=None, rank=128, gap=200,
         steps=3, compare=((2, "step"),), cap=None, snapshot=False, group=None):
    """One configuration. `optim` is the name as the Trainer (or this script, for layerwise forms of plain optimizers)
    spells it; `planner` the planner's name for the same optimizer (None: the same). `compare` lists (step index, which
    prediction): "step" (a plain optimizer), "refresh" (a GaLore step that refreshes its projectors), "no_refresh"."""
    key = f"{model}|{optim}|{dtype}|b{batch}|s{seq}|{'ckpt' if ckpt else 'nockpt'}|{attention}"
    if optim.startswith("galore"):
        key += f"|r{rank}|T{gap}"
    if lora:
        key += f"|lora{lora}"
    if cap:
        key += f"|cap{cap}"
    return {"key": key, "model": model, "optim": optim, "planner_optim": planner or optim, "dtype": dtype, "batch": batch,
            "seq": seq, "ckpt": ckpt, "attention": attention, "lora": lora, "rank": rank, "gap": gap, "steps": steps,
            "compare": [list(c) for c in compare], "cap": cap, "snapshot": snapshot,
            "group": group or (f"cap-{key}" if cap else model)}


NO_REFRESH_THEN_STEADY = ((1, "no_refresh"),)
BOTH_GALORE_STEPS = ((1, "no_refresh"), (2, "refresh"))

# Reference rows in the order they run: the 7B GaLore row the issue names first, then the cheap rows without SVDs, then
# GaLore rows on smaller models (each refresh is one SVD per projected weight), the 8-bit rows, and the capped runs.
MATRIX = [
    _row("llama-7b", "galore_adamw_layerwise", "bf16", 1, 256, steps=2, compare=NO_REFRESH_THEN_STEADY),
    _row("llama-1b", "adamw_torch", "bf16", 2, 512, planner="adamw", snapshot=True),
    _row("llama-1b", "adamw_torch_fused", "bf16", 2, 512),
    _row("llama-1b", "adafactor", "bf16", 2, 512),
    _row("llama-1b", "adamw_torch_layerwise", "bf16", 2, 512, planner="adamw_layerwise"),
    _row("llama-1b", "adafactor_layerwise", "bf16", 2, 512),
    # Layerwise, so that the peak lies in forward/backward, where checkpointing and eager attention change it.
    _row("llama-1b", "adamw_torch_layerwise", "bf16", 2, 512, planner="adamw_layerwise", ckpt=True),
    _row("llama-1b", "adamw_torch_layerwise", "bf16", 2, 1024, planner="adamw_layerwise", attention="math"),
    _row("llama-1b", "adamw_torch", "mixed", 2, 512, planner="adamw"),
    _row("llama-1b", "adamw_torch", "bf16", 2, 512, planner="adamw", lora=16),
    _row("llama-7b", "adamw_torch", "bf16", 1, 256, planner="adamw"),
    _row("llama-7b", "adafactor", "bf16", 1, 256),
    _row("llama-350m", "galore_adamw", "bf16", 4, 512, gap=2, compare=BOTH_GALORE_STEPS),
    _row("llama-350m", "galore_adamw", "fp32", 2, 512, gap=2, compare=BOTH_GALORE_STEPS),
    _row("llama-350m", "galore_adamw", "mixed", 2, 512, steps=2, compare=NO_REFRESH_THEN_STEADY),
    _row("llama-350m", "galore_adafactor", "bf16", 4, 512, gap=2, compare=BOTH_GALORE_STEPS),
    _row("llama-350m", "galore_adamw_layerwise", "bf16", 4, 512, gap=2, compare=BOTH_GALORE_STEPS),
    _row("llama-350m", "galore_adafactor_layerwise", "bf16", 4, 512, steps=2, compare=NO_REFRESH_THEN_STEADY),
    _row("llama-1b", "galore_adamw", "bf16", 2, 512, steps=2, compare=NO_REFRESH_THEN_STEADY),
    _row("llama-1b", "galore_adamw_layerwise", "bf16", 2, 512, ckpt=True, steps=2, compare=NO_REFRESH_THEN_STEADY),
    _row("llama-1b", "adamw_8bit", "bf16", 2, 512),
    _row("llama-1b", "galore_adamw_8bit", "bf16", 2, 512, steps=2, compare=NO_REFRESH_THEN_STEADY),
    _row("llama-1b", "galore_adamw_8bit_layerwise", "bf16", 2, 512, steps=2, compare=NO_REFRESH_THEN_STEADY),
    _row("llama-1b", "adamw_torch", "bf16", 2, 512, planner="adamw", cap=0.93),
    _row("llama-1b", "adamw_torch", "bf16", 2, 512, planner="adamw", cap=1.07),
]

MATRICES = {
    "reference": MATRIX,
    # A few seconds on a CPU: the rehearsal (GALORE_GPU_DRY_RUN=cpu) of the same code paths on a small model.
    "rehearsal": [
        _row("tiny", "adamw_torch", "fp32", 2, 64, planner="adamw"),
        _row("tiny", "adafactor", "fp32", 2, 64),
        _row("tiny", "adamw_torch_layerwise", "fp32", 2, 64, planner="adamw_layerwise"),
        _row("tiny", "galore_adamw", "fp32", 2, 64, rank=8, gap=2, compare=BOTH_GALORE_STEPS),
        _row("tiny", "galore_adafactor", "fp32", 2, 64, rank=8, gap=2, compare=BOTH_GALORE_STEPS),
        _row("tiny", "galore_adamw_layerwise", "fp32", 2, 64, rank=8, steps=2, compare=NO_REFRESH_THEN_STEADY),
        _row("tiny", "galore_adamw_8bit", "fp32", 2, 64, rank=8, steps=2, compare=NO_REFRESH_THEN_STEADY),
        _row("tiny", "adamw_torch", "fp32", 2, 64, planner="adamw", lora=4),
        _row("tiny", "adamw_torch_fused", "fp32", 2, 64),
    ],
}

CSV_FIELDS = [
    "key", "row", "kind", "status", "model", "optim", "planner_optim", "dtype", "batch", "seq", "checkpointing", "attention",
    "lora", "rank", "update_proj_gap", "step", "refresh", "parameters_hf", "parameters_planner", "trainable",
    "allocated_peak", "reserved_peak", "device_used_peak", "nvml_idle", "nvml_after_init", "allocated_at_start", "reserved_at_start",
    "predicted_allocated", "predicted_reserved", "predicted_device_used", "predicted_phase",
    "error_allocated", "error_reserved", "error_device_used", "cap_bytes", "predicted_fits", "measured_fits", "verdict_right",
    "step_seconds", "row_seconds", "setup", "versions", "note",
]

# ------------------------------------------------------------------------------------------------------------------ plan

def planner_json(planner, args):
    cmd = shlex.split(planner) + args
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[-1]
    return json.loads(p.stdout), None


def fit_args(row, refresh):
    a = ["fit", "--json", "--model", row["model"], "--optim", row["planner_optim"], "--dtype", row["dtype"],
         "--batch", str(row["batch"]), "--seq", str(row["seq"]), "--attention", row["attention"], "--runtime", "pytorch",
         "--gpu", "h200"]
    if row["ckpt"]:
        a.append("--checkpointing")
    if row["optim"].startswith("galore"):
        a += ["--rank", str(row["rank"]), "--update-proj-gap", str(row["gap"])]
        if not refresh:
            a.append("--no-refresh")
    return a


def cmd_plan(ns):
    rows = MATRICES[ns.matrix]
    models, plan_rows = {}, []
    for row in rows:
        if row["model"] not in models:
            shape, err = planner_json(ns.planner, ["models", "--config", row["model"], "--json"])
            if shape is None:
                sys.exit(f"planner does not know model {row['model']}: {err}")
            models[row["model"]] = shape
        r = dict(row)
        r["predictions"] = {}
        kinds = sorted({k for _, k in row["compare"]} | ({"refresh", "no_refresh"} if row["optim"].startswith("galore") else set()))
        for kind in kinds:
            if row["lora"]:
                r["predictions"][kind] = {"error": "the planner has no LoRA (peft) model"}
                continue
            args = fit_args(row, refresh=kind != "no_refresh")
            pred, err = planner_json(ns.planner, args)
            r["predictions"][kind] = {"error": err, "command": "galore-plan " + " ".join(args)} if pred is None else {
                "allocated": pred["allocated_bytes"], "reserved": pred["reserved_bytes"], "device_used": pred["peak_bytes"],
                "phase": pred["peak_phase"], "event": pred["peak_event"], "context": pred["query"]["cuda_context_bytes"],
                "command": "galore-plan " + " ".join(args)}
        plan_rows.append(r)
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    plan = {"matrix": ns.matrix, "planner": ns.planner, "planner_commit": commit, "models": models, "rows": plan_rows}
    with open(ns.out, "w") as f:
        json.dump(plan, f, indent=1)
    print(f"wrote {ns.out}: {len(plan_rows)} rows, {len(models)} models, planner at {commit}")

# ------------------------------------------------------------------------------------------------------- galore-torch

def load_galore(src):
    """Loads galore_torch's modules from a source checkout without its package __init__ (which imports bitsandbytes).
    Returns {"GaLoreAdamW": cls, "GaLoreAdafactor": cls, "GaLoreAdamW8bit": cls or None, "note": str}."""
    pkg_dir = os.path.join(src, "galore_torch")
    if not os.path.isfile(os.path.join(pkg_dir, "galore_projector.py")):
        raise SystemExit(f"--galore-src {src}: no galore_torch/galore_projector.py there")
    notes = []
    if importlib.util.find_spec("tensorly") is None:
        # galore_projector_tensor imports tensorly for GaLore on >2-D tensors (Tucker); decoder weights are 2-D.
        tl = types.ModuleType("tensorly")
        tl.decomposition = types.ModuleType("tensorly.decomposition")
        tl.tenalg = types.ModuleType("tensorly.tenalg")

        def _absent(*_a, **_k):
            raise RuntimeError("tensorly is not installed: GaLore on >2-D tensors is not measured")
        tl.decomposition.tucker = _absent
        sys.modules.update({"tensorly": tl, "tensorly.decomposition": tl.decomposition, "tensorly.tenalg": tl.tenalg})
        notes.append("tensorly stubbed (2-D weights only)")
    if not have_transformers():
        # Only on a rehearsal machine without transformers: galore_torch imports require_version from it.
        tr = types.ModuleType("transformers")
        tr.__galore_stub__ = True
        tr.utils = types.ModuleType("transformers.utils")
        tr.utils.versions = types.ModuleType("transformers.utils.versions")
        tr.utils.versions.require_version = lambda *_a, **_k: None
        sys.modules.update({"transformers": tr, "transformers.utils": tr.utils, "transformers.utils.versions": tr.utils.versions})
        notes.append("transformers.utils.versions stubbed (rehearsal)")
    pkg = types.ModuleType("galore_torch")
    pkg.__path__ = [pkg_dir]
    pkg.__spec__ = importlib.machinery.ModuleSpec("galore_torch", None, is_package=True)
    pkg.__spec__.submodule_search_locations = [pkg_dir]
    sys.modules["galore_torch"] = pkg
    adamw = importlib.import_module("galore_torch.adamw")
    adafactor = importlib.import_module("galore_torch.adafactor")
    out = {"GaLoreAdamW": adamw.AdamW, "GaLoreAdafactor": adafactor.Adafactor, "GaLoreAdamW8bit": None}
    try:
        out["GaLoreAdamW8bit"] = importlib.import_module("galore_torch.adamw8bit").AdamW8bit
    except ImportError as e:
        notes.append(f"GaLoreAdamW8bit unavailable ({e})")
    out["note"] = "; ".join(notes)
    return out


def have_transformers():
    """Whether the real transformers is importable (not the rehearsal stub load_galore may have put in its place)."""
    m = sys.modules.get("transformers")
    if m is not None:
        return not getattr(m, "__galore_stub__", False)
    return importlib.util.find_spec("transformers") is not None


def bnb_available():
    try:
        import bitsandbytes  # noqa: F401
        return True
    except Exception:  # bitsandbytes raises more than ImportError where CUDA libraries are missing
        return False

# ------------------------------------------------------------------------------------------------------------- models

def hf_config(shape, attention):
    from transformers import LlamaConfig
    if shape["family"] != "llama":
        raise SystemExit(f"model family {shape['family']} is not built by this script")
    return LlamaConfig(vocab_size=shape["vocab_size"], hidden_size=shape["hidden_size"],
                       intermediate_size=shape["intermediate_size"], num_hidden_layers=shape["num_hidden_layers"],
                       num_attention_heads=shape["num_attention_heads"], num_key_value_heads=shape["num_key_value_heads"],
                       head_dim=shape["head_dim"], tie_word_embeddings=shape["tie_word_embeddings"], use_cache=False,
                       attn_implementation="eager" if attention == "math" else "sdpa")


class StandInLlama:
    """Rehearsal only (a CPU machine without transformers): a torch-only decoder with the HF module names, so that the
    optimizer setup, GaLore target selection, layerwise hooks, CSV and resume paths run. It measures nothing."""

    @staticmethod
    def build(shape, dtype, device):
        import torch
        from torch import nn
        h, i, v = shape["hidden_size"], shape["intermediate_size"], shape["vocab_size"]
        kv = shape["num_key_value_heads"] * shape["head_dim"]

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.self_attn = nn.Module()
                for name, (o, n) in {"q_proj": (h, h), "k_proj": (kv, h), "v_proj": (kv, h), "o_proj": (h, h)}.items():
                    setattr(self.self_attn, name, nn.Linear(n, o, bias=False))
                self.mlp = nn.Module()
                self.mlp.gate_proj, self.mlp.up_proj, self.mlp.down_proj = nn.Linear(h, i, bias=False), nn.Linear(h, i, bias=False), nn.Linear(i, h, bias=False)
                self.input_layernorm, self.post_attention_layernorm = nn.LayerNorm(h), nn.LayerNorm(h)

            def forward(self, x):
                a = self.self_attn
                q, k, vv = a.q_proj(self.input_layernorm(x)), a.k_proj(x), a.v_proj(x)
                x = x + a.o_proj(q + k.repeat(1, 1, h // kv) * vv.repeat(1, 1, h // kv))
                m = self.mlp
                y = self.post_attention_layernorm(x)
                return x + m.down_proj(torch.nn.functional.silu(m.gate_proj(y)) * m.up_proj(y))

        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.model = nn.Module()
                self.model.embed_tokens = nn.Embedding(v, h)
                self.model.layers = nn.ModuleList([Block() for _ in range(shape["num_hidden_layers"])])
                self.model.norm = nn.LayerNorm(h)
                self.lm_head = nn.Linear(h, v, bias=False)

            def forward(self, input_ids, labels=None, use_cache=False):
                x = self.model.embed_tokens(input_ids)
                for b in self.model.layers:
                    x = b(x)
                logits = self.lm_head(self.model.norm(x)).float()
                loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, v), labels[:, 1:].reshape(-1))
                return types.SimpleNamespace(loss=loss, logits=logits)

            def gradient_checkpointing_enable(self, **_):
                pass

        return Model().to(device=device, dtype=dtype)


def build_model(row, shape, device, dtype):
    import torch
    torch.manual_seed(0)
    if not have_transformers():
        if device != "cpu":
            raise SystemExit("transformers is not importable: cannot build Hugging Face models")
        return StandInLlama.build(shape, dtype, device), "stand-in model (rehearsal, no transformers)"
    from transformers import AutoModelForCausalLM
    config = hf_config(shape, row["attention"])
    attn = "eager" if row["attention"] == "math" else "sdpa"
    with torch.device(device):
        try:
            model = AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation=attn)
        except TypeError:  # transformers 4.x spells it torch_dtype
            model = AutoModelForCausalLM.from_config(config, torch_dtype=dtype, attn_implementation=attn)
    model.to(device)  # a no-op when from_config built it there; the weights must be on the device that is measured
    if next(model.parameters()).device.type != device:
        raise RuntimeError(f"weights are on {next(model.parameters()).device}, not {device}")
    if row["ckpt"]:
        model.gradient_checkpointing_enable()            # the Trainer's call with gradient_checkpointing_kwargs=None
    return model, f"transformers {importlib.import_module('transformers').__version__} from_config, attn {row['attention']}"


def apply_lora(model, r):
    from peft import LoraConfig, get_peft_model
    cfg = LoraConfig(r=r, lora_alpha=r, target_modules="all-linear", lora_dropout=0.0, task_type="CAUSAL_LM")
    return get_peft_model(model, cfg)

# --------------------------------------------------------------------------------------------------------- optimizers

LR = 1e-4


def decay_groups(model):
    """Trainer.create_optimizer's two groups: no decay for biases and norms (args.weight_decay defaults to 0.0)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if ("bias" in name or "norm" in name) else decay).append(p)
    return [{"params": decay, "weight_decay": 0.0}, {"params": no_decay, "weight_decay": 0.0}]


def galore_targets(model):
    """transformers' target selection for optim_target_modules=["attn", "mlp"]: weights of nn.Linear modules whose name
    contains a target (check_target_module_exists), the planner's default --target-modules attn,mlp."""
    from torch import nn
    ids = set()
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear) and any(t in name for t in ("attn", "mlp")):
            ids.add(id(module.weight))
    return ids


def base_optimizer(name, galore):
    """(class, kwargs) as the Trainer's handler builds them, for the base name (without galore_/_layerwise)."""
    import torch
    adam = {"lr": LR, "betas": (0.9, 0.999), "eps": 1e-8}
    if name == "adamw_torch":
        return torch.optim.AdamW, adam
    if name == "adamw_torch_fused":
        return torch.optim.AdamW, dict(adam, fused=True)
    if name == "adafactor":
        from transformers.optimization import Adafactor
        return Adafactor, {"lr": LR, "scale_parameter": False, "relative_step": False}
    if name == "adamw_8bit":
        import bitsandbytes as bnb
        return bnb.optim.AdamW, dict(adam, optim_bits=8)
    raise SystemExit(f"unknown optimizer {name}")


def setup_optimizer(row, model, galore):
    """Returns (step function, zero_grad function, description). Layerwise forms install one optimizer per parameter and
    a post-accumulate-grad hook that steps and zeroes it (transformers' _setup_low_rank_optimizer)."""
    import torch
    optim = row["optim"]
    layerwise = optim.endswith("_layerwise")
    base = optim[:-len("_layerwise")] if layerwise else optim
    if base.startswith("galore_"):
        family = base[len("galore_"):]
        cls = {"adamw": galore["GaLoreAdamW"], "adafactor": galore["GaLoreAdafactor"], "adamw_8bit": galore["GaLoreAdamW8bit"]}[family]
        if cls is None:
            raise RuntimeError("GaLoreAdamW8bit needs bitsandbytes")
        kwargs = {"lr": LR}
        gkw = {"rank": row["rank"], "update_proj_gap": row["gap"], "scale": 0.25, "proj_type": "std"}
        targets = galore_targets(model)
        params = [p for p in model.parameters() if p.requires_grad]
        if family == "adafactor":
            # Non-layerwise: the Trainer adds scale_parameter=False, relative_step=False. Layerwise it builds the per-parameter
            # optimizers before that update, which GaLoreAdafactor then rejects (manual lr with relative_step=True); the same
            # two settings are passed here so that the step can be measured at all.
            kwargs.update({"scale_parameter": False, "relative_step": False})
        if not layerwise:
            groups = [{"params": [p for p in params if id(p) not in targets]}, {"params": [p for p in params if id(p) in targets], **gkw}]
            opt = cls(groups, **kwargs)
            return opt.step, lambda: opt.zero_grad(set_to_none=True), f"{cls.__module__}.{cls.__name__} {sorted(kwargs)} + {sorted(gkw)}"
        per = {p: cls([dict({"params": [p]}, **(gkw if id(p) in targets else {}))], **kwargs) for p in params}
        desc = f"layerwise {cls.__module__}.{cls.__name__} per parameter, post-accumulate-grad hooks"
    else:
        cls, kwargs = base_optimizer(base, galore)
        if not layerwise:
            opt = cls(decay_groups(model), **kwargs)
            embedding_override(cls, kwargs, model)
            return opt.step, lambda: opt.zero_grad(set_to_none=True), f"{cls.__module__}.{cls.__name__} {sorted(kwargs)}"
        per = {p: cls([{"params": [p]}], **kwargs) for p in model.parameters() if p.requires_grad}
        desc = f"layerwise {cls.__module__}.{cls.__name__} per parameter, post-accumulate-grad hooks"
        embedding_override(cls, kwargs, model)
    if not hasattr(torch.Tensor, "register_post_accumulate_grad_hook"):
        raise RuntimeError(f"torch {torch.__version__} has no register_post_accumulate_grad_hook (layerwise needs torch >= 2.1)")

    def optimizer_hook(param):
        if param.grad is not None:
            per[param].step()
            per[param].zero_grad()
    for p in per:
        p.register_post_accumulate_grad_hook(optimizer_hook)
    return (lambda: None), (lambda: None), desc


def embedding_override(cls, kwargs, model):
    """Trainer.create_optimizer: with a bitsandbytes 8-bit optimizer every nn.Embedding weight keeps 32-bit states."""
    if "bitsandbytes" not in str(cls) or kwargs.get("optim_bits") != 8:
        return
    import bitsandbytes as bnb
    from torch import nn
    manager = bnb.optim.GlobalOptimManager.get_instance()
    for module in model.modules():
        if isinstance(module, nn.Embedding):
            manager.register_module_override(module, "weight", {"optim_bits": 32})


def trainer_agrees(optim, model):
    """Cross-check with transformers' own dispatch for the plain names: the class and kwargs the Trainer would build."""
    try:
        from transformers import Trainer, TrainingArguments
        import tempfile
        args = TrainingArguments(output_dir=tempfile.mkdtemp(), optim=optim, learning_rate=LR, report_to=[])
        cls, kwargs = Trainer.get_optimizer_cls_and_kwargs(args, model)
        return f"Trainer: {cls.__module__}.{cls.__name__} {sorted(kwargs)}"
    except Exception as e:  # the cross-check must not stop the measurement
        return f"Trainer cross-check failed: {type(e).__name__}: {e}"

# -------------------------------------------------------------------------------------------------------- measurement

class Nvml:
    """Device-used memory from NVML (nvidia-ml-py), polled in a thread while a step runs."""

    def __init__(self):
        self.handle, self.peak, self._stop = None, 0, None
        try:
            import pynvml
            pynvml.nvmlInit()
            self._nvml = pynvml
            self.handle = pynvml.nvmlDeviceGetHandleByIndex(int(os.environ.get("GALORE_NVML_INDEX", "0")))
        except Exception:
            self.handle = None

    def used(self):
        return self._nvml.nvmlDeviceGetMemoryInfo(self.handle).used if self.handle is not None else None

    def __enter__(self):
        self.peak = self.used() or 0
        if self.handle is None:
            return self
        self._stop = threading.Event()

        def poll():
            while not self._stop.is_set():
                self.peak = max(self.peak, self.used())
                time.sleep(0.002)
        self._thread = threading.Thread(target=poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._stop is not None:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, self.used())


def measure_row(row, plan, galore, device, nvml, idle, out_dir):
    import torch
    cuda = device == "cuda"
    shape = plan["models"][row["model"]]
    dtype = {"bf16": torch.bfloat16, "fp32": torch.float32, "mixed": torch.float32}[row["dtype"]]
    start_alloc = torch.cuda.memory_allocated() if cuda else 0
    start_reserved = torch.cuda.memory_reserved() if cuda else 0
    if row["snapshot"] and cuda:
        torch.cuda.memory._record_memory_history(enabled="all", context="alloc", stacks="python", max_entries=200_000)
    if row["cap"] and cuda:
        pred = plan_prediction(row, "step")
        cap = int(row["cap"] * pred["reserved"])
        torch.cuda.set_per_process_memory_fraction(cap / torch.cuda.get_device_properties(0).total_memory)
    else:
        cap = None
    t0 = time.time()
    model, setup = build_model(row, shape, device, dtype)
    if row["lora"]:
        model = apply_lora(model, row["lora"])
        setup += f"; peft LoRA r={row['lora']} all-linear"
    model.train()
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    step_fn, zero_fn, opt_desc = setup_optimizer(row, model, galore)
    setup += "; " + opt_desc
    gen = torch.Generator(device="cpu").manual_seed(1)
    ids = torch.randint(0, shape["vocab_size"], (row["batch"], row["seq"]), generator=gen).to(device)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if (row["dtype"] == "mixed" and cuda) else None
    results, layerwise = {}, row["optim"].endswith("_layerwise")
    oom = None
    for step in range(row["steps"]):
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        s0 = time.time()
        try:
            with nvml:
                if autocast is not None:
                    with autocast:
                        loss = model(input_ids=ids, labels=ids, use_cache=False).loss
                else:
                    loss = model(input_ids=ids, labels=ids, use_cache=False).loss
                loss.backward()
                del loss
                if not layerwise:
                    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)  # Trainer's max_grad_norm
                    step_fn()
                    zero_fn()
                if cuda:
                    torch.cuda.synchronize()
        except torch.cuda.OutOfMemoryError as e:
            oom = str(e).splitlines()[0]
            break
        results[step] = {"allocated": torch.cuda.max_memory_allocated() if cuda else None,
                         "reserved": torch.cuda.max_memory_reserved() if cuda else None,
                         "used": (nvml.peak - idle) if (nvml.handle is not None and idle is not None) else None,
                         "seconds": time.time() - s0}
    if row["optim"] in ("adamw_torch", "adamw_torch_fused", "adafactor") and cuda:
        setup += "; " + trainer_agrees(row["optim"], model)   # after the measured steps: it must not touch what is measured
    if row["snapshot"] and cuda:
        snap = torch.cuda.memory._snapshot()
        torch.cuda.memory._record_memory_history(enabled=None)
        write_snapshot(snap, out_dir, row)
    base = {"row": row["key"], "model": row["model"], "optim": row["optim"], "planner_optim": row["planner_optim"],
            "dtype": row["dtype"], "batch": row["batch"], "seq": row["seq"], "checkpointing": row["ckpt"],
            "attention": row["attention"], "lora": row["lora"] or "", "rank": row["rank"], "update_proj_gap": row["gap"],
            "parameters_hf": params, "parameters_planner": shape["parameters"], "trainable": trainable,
            "nvml_idle": idle, "allocated_at_start": start_alloc, "reserved_at_start": start_reserved,
            "row_seconds": round(time.time() - t0, 1), "setup": setup + (f"; {galore['note']}" if galore.get("note") else "")}
    lines = []
    if cap is not None:
        pred = plan_prediction(row, "step")
        predicted_fits = pred["reserved"] <= cap
        measured_fits = oom is None
        lines.append(dict(base, key=row["key"] + "@verdict", kind="verdict", status="measured" if cuda else "rehearsal",
                          cap_bytes=cap, predicted_fits=predicted_fits, measured_fits=measured_fits,
                          verdict_right=predicted_fits == measured_fits, predicted_reserved=pred["reserved"],
                          note=oom or "completed every step under the cap"))
    else:
        for step, kind in row["compare"]:
            m = results.get(step)
            pred = plan_prediction(row, kind)
            line = dict(base, key=f"{row['key']}@{kind}", kind=kind, step=step, refresh=kind == "refresh")
            if m is None:
                line.update(status="error", note=oom or f"step {step} did not run")
            else:
                line.update(status="measured" if cuda else "rehearsal", allocated_peak=m["allocated"], reserved_peak=m["reserved"],
                            device_used_peak=m["used"], step_seconds=round(m["seconds"], 3))
                if "allocated" in pred:
                    line.update(predicted_allocated=pred["allocated"], predicted_reserved=pred["reserved"],
                                predicted_device_used=pred["device_used"], predicted_phase=pred["phase"],
                                error_allocated=rel(pred["allocated"], m["allocated"]), error_reserved=rel(pred["reserved"], m["reserved"]),
                                error_device_used=rel(pred["device_used"], m["used"]))
                else:
                    line.update(note="no prediction: " + pred.get("error", "?"))
            lines.append(line)
    del model, step_fn, zero_fn, ids
    return lines


def plan_prediction(row, kind):
    return row.get("predictions", {}).get(kind, {"error": "not in the plan"})


def rel(predicted, measured):
    if predicted is None or measured in (None, 0):
        return ""
    return round((predicted - measured) / measured, 5)


def trim_frames(frames, keep=8):
    """The frames compare-snapshot's phase rules read (FramePhase.cs) and the innermost frame outside torch; the trace
    itself (every action, address and size) is kept whole."""
    marks = ("/torch/optim/", "galore_torch/", "bitsandbytes/optim/", "transformers/optimization.py", "/torch/autograd/",
             "/torch/utils/checkpoint.py", "transformers/loss/")
    names = {"forward", "optimizer_hook", "from_config", "from_pretrained", "_from_config", "_init_weights", "init_weights", "_apply", "to"}
    kept, outside = [], None
    for f in frames:
        fn = f.get("filename", "")
        if outside is None and "/torch/" not in fn:
            outside = f
        if f.get("name") in names or any(m in fn for m in marks):
            kept.append(f)
    if outside is not None and outside not in kept:
        kept.insert(0, outside)
    return kept[:keep]


def write_snapshot(snap, out_dir, row):
    import gzip
    import pickle
    for seg in snap.get("segments", []):
        for b in seg.get("blocks", []):
            b["frames"] = trim_frames(b.get("frames", []))
    for trace in snap.get("device_traces", []):
        for e in trace:
            e["frames"] = trim_frames(e.get("frames", []))
    path = os.path.join(out_dir, "snapshot-" + row["model"] + ".pickle.gz")
    with gzip.open(path, "wb", compresslevel=9) as f:
        pickle.dump(snap, f)
    print(f"[hf_reference] snapshot {path}: {os.path.getsize(path) / 1e6:.2f} MB, "
          f"{sum(len(t) for t in snap.get('device_traces', []))} trace entries", flush=True)

# ------------------------------------------------------------------------------------------------------------ workers

def append_rows(out_dir, lines):
    path = os.path.join(out_dir, CSV_NAME)
    new = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        if new:
            w.writeheader()
        for line in lines:
            w.writerow({k: ("" if line.get(k) is None else line.get(k)) for k in CSV_FIELDS})
        f.flush()
        os.fsync(f.fileno())


def done_rows(out_dir):
    path = os.path.join(out_dir, CSV_NAME)
    if not os.path.exists(path):
        return set()
    with open(path, newline="") as f:
        return {r["row"] for r in csv.DictReader(f) if r["status"] in ("measured", "not measured", "rehearsal")}


def versions():
    v = [f"python {sys.version.split()[0]}"]
    for name in ("torch", "transformers", "peft", "accelerate", "bitsandbytes"):
        try:
            v.append(f"{name} {importlib.import_module(name).__version__}")
        except Exception:
            v.append(f"{name} -")
    return ", ".join(v)


def cmd_worker(ns):
    plan = json.load(open(ns.plan))
    rows = [r for r in plan["rows"] if r["key"] in set(ns.keys)]
    import torch
    device = ns.device
    galore = load_galore(ns.galore_src) if ns.galore_src else {"GaLoreAdamW": None, "GaLoreAdafactor": None, "GaLoreAdamW8bit": None, "note": ""}
    nvml = Nvml()
    idle = int(ns.nvml_idle) if ns.nvml_idle else None
    if device == "cuda":
        torch.cuda.init()
        torch.cuda.synchronize()          # creates the primary context (nothing through the allocator)
    after_init = nvml.used()
    ver = versions()
    for row in sorted(rows, key=lambda r: ns.keys.index(r["key"])):
        if device == "cuda":
            gc.collect()
            torch.cuda.empty_cache()
            a, r = torch.cuda.memory_allocated(), torch.cuda.memory_reserved()
            if a != 0 or r != 0:
                print(f"[hf_reference] not clean before {row['key']}: allocated {a}, reserved {r}; leaving it to a fresh process", flush=True)
                sys.exit(NOT_CLEAN)
        try:
            lines = measure_row(row, plan, galore, device, nvml, idle, ns.out)
        except Exception as e:  # one configuration's failure is its row's result, not the worker's end
            lines = [{"key": row["key"] + "@error", "row": row["key"], "kind": "error", "status": "error", "model": row["model"],
                      "optim": row["optim"], "dtype": row["dtype"], "note": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}]
        for line in lines:
            line["versions"] = ver
            line.setdefault("nvml_after_init", after_init)
        append_rows(ns.out, lines)
        for line in lines:
            print(f"[hf_reference] {line['key']}: {line['status']} alloc {fmt(line.get('allocated_peak'))} "
                  f"(pred {fmt(line.get('predicted_allocated'))}, err {line.get('error_allocated', '')}) {line.get('note', '')}", flush=True)
        gc.collect()


def fmt(b):
    return f"{int(b) / GiB:.2f} GiB" if isinstance(b, (int, float)) and not isinstance(b, bool) else "-"


def row_estimate_s(row, plan, svd):
    """Seconds a row is expected to take: process start and imports, model build, steps, and one SVD per projected weight
    per refresh (GaLore refreshes at step 0 and every update_proj_gap steps), timed by the probe."""
    shape = plan["models"][row["model"]]
    params = shape["parameters"]
    est = 3 + params / 4e8 + row["steps"] * (params * row["batch"] * row["seq"] * 6 / 2e14 + 0.5)
    if row["optim"].startswith("galore"):
        refreshes = sum(1 for s in range(row["steps"]) if s % row["gap"] == 0)
        est += refreshes * refresh_seconds(shape, svd)
    return est


def projected_shapes(shape):
    h, i, kv = shape["hidden_size"], shape["intermediate_size"], shape["num_key_value_heads"] * shape["head_dim"]
    q = shape["num_attention_heads"] * shape["head_dim"]
    per_layer = [(q, h), (kv, h), (kv, h), (h, q), (i, h), (i, h), (h, i)]
    return per_layer, shape["num_hidden_layers"]


def refresh_seconds(shape, svd):
    per_layer, layers = projected_shapes(shape)
    total = 0.0
    for m, n in per_layer:
        key = f"{max(m, n)}x{min(m, n)}"
        # Without a probe: a cubic guess of cuSOLVER's float32 SVD, 1.5 s for 4096 x 4096 (to be replaced by the probe).
        total += svd.get(key, {}).get("seconds", 1.5 * (max(m, n) * min(m, n) ** 2) / 4096 ** 3)
    return total * layers


def cmd_probe(ns):
    plan = json.load(open(ns.plan))
    import torch
    shapes = set()
    for m in {r["model"] for r in plan["rows"]}:
        for a, b in projected_shapes(plan["models"][m])[0]:
            shapes.add((max(a, b), min(a, b)))
    out = {}
    dev = ns.device
    torch.linalg.svd(torch.randn(64, 64, device=dev), full_matrices=False)
    for m, n in sorted(shapes, key=lambda s: s[0] * s[1]):
        g = torch.randn(m, n, device=dev)
        if dev == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            before = torch.cuda.memory_allocated()
        t0 = time.time()
        u, s, vh = torch.linalg.svd(g, full_matrices=False)
        if dev == "cuda":
            torch.cuda.synchronize()
        rec = {"seconds": round(time.time() - t0, 4)}
        if dev == "cuda":
            rec["peak_above_input_bytes"] = torch.cuda.max_memory_allocated() - before
            rec["outputs_bytes"] = (u.numel() + s.numel() + vh.numel()) * 4
            rec["u_storage_elements"] = u.untyped_storage().nbytes() // 4
            rec["vh_storage_elements"] = vh.untyped_storage().nbytes() // 4
            rec["vh_slice_shares_storage"] = vh[:8].untyped_storage().data_ptr() == vh.untyped_storage().data_ptr()
        out[f"{m}x{n}"] = rec
        print(f"[hf_reference] svd {m}x{n}: {rec}", flush=True)
        del g, u, s, vh
        with open(os.path.join(ns.out, "svd-probe.json"), "w") as f:   # saved shape by shape: a timeout keeps what was timed
            json.dump(out, f, indent=1)
    if ns.galore_src:
        out["galore_projector_retained"] = projector_retention(ns.galore_src, dev)
    with open(os.path.join(ns.out, "svd-probe.json"), "w") as f:
        json.dump(out, f, indent=1)


def projector_retention(src, dev):
    """Bytes galore-torch's GaLoreProjector keeps after one projection, for float32 and bfloat16 gradients of a tall and a
    wide weight: a view of Vh (n x n) or U (m x m) for float32, a compact rank-sized copy for bfloat16 (the planner's
    RuntimeProfile.ProjectorKeepsSvdFactor)."""
    import torch
    load_galore(src)
    from galore_torch.galore_projector import GaLoreProjector
    res = {}
    # llama-1b's MLP shapes at HF's default rank on the GPU; a small pair on a CPU rehearsal.
    rank, shapes = (128, ((5461, 2048), (2048, 5461))) if dev == "cuda" else (8, ((176, 64), (64, 176)))
    for m, n in shapes:
        for dt in (torch.float32, torch.bfloat16):
            g = torch.randn(m, n, device=dev).to(dt)
            if dev == "cuda":
                torch.cuda.synchronize()
                before = torch.cuda.memory_allocated()
            proj = GaLoreProjector(rank, update_proj_gap=200, scale=0.25, proj_type="std")
            low = proj.project(g, 0)
            del low
            if dev == "cuda":
                torch.cuda.synchronize()
                kept = torch.cuda.memory_allocated() - before
            else:
                o = proj.ortho_matrix
                kept = o.untyped_storage().nbytes() if hasattr(o, "untyped_storage") else o.storage().nbytes()
            k = min(m, n)
            res[f"{m}x{n} {str(dt).replace('torch.', '')}"] = {
                "kept_bytes": kept, "whole_factor_bytes": k * k * 4, "compact_bytes": rank * k * g.element_size()}
            del proj, g
    return res


def cmd_run(ns):
    plan = json.load(open(ns.plan))
    rows = [r for r in plan["rows"] if not ns.only or ns.only in r["key"]]
    os.makedirs(ns.out, exist_ok=True)
    done = done_rows(ns.out)
    svd = {}
    probe = os.path.join(ns.out, "svd-probe.json")
    if os.path.exists(probe):
        svd = json.load(open(probe))
    have_bnb = None if ns.dry_run else bnb_available()
    todo = [r for r in rows if r["key"] not in done]
    print(f"[hf_reference] plan {ns.plan}: {len(rows)} rows ({len(rows) - len(todo)} already in {CSV_NAME}), planner at "
          f"{plan['planner_commit']}, budget {ns.budget_s:.0f} s", flush=True)
    if ns.dry_run:
        for r in todo:
            print(f"  {r['key']:<75} ~{row_estimate_s(r, plan, svd):6.0f} s  compare {r['compare']}  group {r['group']}"
                  f"{'  +snapshot' if r['snapshot'] else ''}{'  (needs bitsandbytes)' if '8bit' in r['optim'] else ''}")
            for kind, p in r["predictions"].items():
                print(f"      {kind:<10} " + (f"predicted allocated {fmt(p['allocated'])}, reserved {fmt(p['reserved'])}, "
                                           f"device-used {fmt(p['device_used'])} ({p['phase']})" if "allocated" in p else f"no prediction: {p['error']}"))
        return
    deadline = time.time() + ns.budget_s
    nvml = Nvml()
    idle = nvml.used()
    # 8-bit rows without bitsandbytes: listed, not measured.
    skipped = []
    for r in todo:
        if "8bit" in r["optim"] and not have_bnb:
            skipped.append({"key": r["key"] + "@not-measured", "row": r["key"], "kind": "not measured", "status": "not measured",
                            "model": r["model"], "optim": r["optim"], "planner_optim": r["planner_optim"], "dtype": r["dtype"],
                            "batch": r["batch"], "seq": r["seq"], "note": "bitsandbytes does not import on this machine"})
    if skipped:
        append_rows(ns.out, skipped)
    todo = [r for r in todo if not ("8bit" in r["optim"] and not have_bnb)]
    groups = []
    for r in todo:
        if groups and groups[-1][0] == r["group"]:
            groups[-1][1].append(r)
        else:
            groups.append((r["group"], [r]))
    for name, members in groups:
        pending = list(members)
        while pending:
            left = deadline - time.time() - WORKER_START_S
            batch, planned = [], 0.0
            for r in pending:
                est = row_estimate_s(r, plan, svd)
                if planned + est > left:
                    break
                batch.append(r)
                planned += est
            if not batch:
                for r in pending:
                    est = row_estimate_s(r, plan, svd)
                    append_rows(ns.out, [{"key": r["key"] + "@deferred", "row": r["key"], "kind": "deferred", "status": "deferred",
                                          "model": r["model"], "optim": r["optim"], "dtype": r["dtype"],
                                          "note": f"expected {est:.0f} s, {max(left, 0):.0f} s of the budget left"}])
                    print(f"[hf_reference] deferred {r['key']} (expected {est:.0f} s, {max(left, 0):.0f} s left)", flush=True)
                break
            cmd = [sys.executable, os.path.abspath(__file__), "worker", "--plan", ns.plan, "--out", ns.out, "--device", ns.device,
                   "--keys", *[b["key"] for b in batch]]
            if ns.galore_src:
                cmd += ["--galore-src", ns.galore_src]
            if idle is not None:
                cmd += ["--nvml-idle", str(idle)]
            try:
                rc = subprocess.run(cmd, timeout=max(30.0, deadline - time.time())).returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
            recorded = rows_with_lines(ns.out)
            unfinished = [b for b in batch if b["key"] not in recorded]
            if rc not in (0, NOT_CLEAN) and unfinished:
                # The row that was running when the worker died is that row's result; the others go to a fresh worker.
                failed = unfinished.pop(0)
                append_rows(ns.out, [{"key": failed["key"] + "@error", "row": failed["key"], "kind": "error", "status": "error",
                                      "model": failed["model"], "optim": failed["optim"], "dtype": failed["dtype"],
                                      "note": f"worker ended ({rc}) during this row"}])
            pending = unfinished + pending[len(batch):]
    summarize(ns.out)


def rows_with_lines(out_dir):
    path = os.path.join(out_dir, CSV_NAME)
    if not os.path.exists(path):
        return set()
    with open(path, newline="") as f:
        return {r["row"] for r in csv.DictReader(f)}


def latest_lines(out_dir):
    """The CSV's lines, the last one of each key kept, and a row's error or deferral dropped once it has results."""
    rows = list(csv.DictReader(open(os.path.join(out_dir, CSV_NAME), newline="")))
    last = {}
    for r in rows:
        last[r["key"]] = r
    finished = {r["row"] for r in last.values() if r["status"] in ("measured", "not measured", "rehearsal")}
    return [r for r in last.values() if r["status"] in ("measured", "not measured", "rehearsal") or r["row"] not in finished]


def summarize(out_dir):
    path = os.path.join(out_dir, CSV_NAME)
    if not os.path.exists(path):
        print("[hf_reference] no rows")
        return
    rows = latest_lines(out_dir)
    measured = [r for r in rows if r["status"] == "measured" and r["kind"] != "verdict"]
    print(f"\nReference stack: {len(measured)} measured comparisons, "
          f"{sum(r['status'] == 'not measured' for r in rows)} not measured, {sum(r['status'] == 'deferred' for r in rows)} deferred, "
          f"{sum(r['status'] == 'error' for r in rows)} errors, {sum(r['status'] == 'rehearsal' for r in rows)} rehearsal")
    for r in rows:
        if r["kind"] == "verdict":
            print(f"  {r['key']:<78} verdict {'right' if r['verdict_right'] == 'True' else 'WRONG'} "
                  f"(predicted fits {r['predicted_fits']}, ran {r['measured_fits']})")
        elif r["status"] in ("measured", "rehearsal"):
            e = [r[f"error_{k}"] for k in ("allocated", "reserved", "device_used")]
            print(f"  {r['key']:<78} alloc {fmt(num(r['allocated_peak']))} err " +
                  " / ".join(f"{float(x) * 100:+.1f}%" if x else "-" for x in e))
        else:
            print(f"  {r['key']:<78} {r['status']}: {r['note']}")


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("plan", help="ask the planner for shapes and predictions (needs galore-plan)")
    p.add_argument("--planner", default=os.environ.get("GALORE_PLAN", "dotnet src/Cli/bin/Release/net10.0/galore-plan.dll"))
    p.add_argument("--matrix", choices=sorted(MATRICES), default="reference")
    p.add_argument("--out", required=True)
    r = sub.add_parser("run", help="run the plan's rows (one worker process per group), resuming OUT/reference.csv")
    r.add_argument("--plan", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--galore-src", help="a checkout of jiaweizzhao/GaLore (its galore_torch folder is loaded from there)")
    r.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    r.add_argument("--budget-s", type=float, default=300.0, help="start no row that is expected to end after this many seconds")
    r.add_argument("--only", help="only rows whose key contains this text")
    r.add_argument("--dry-run", action="store_true", help="validate the plan and print what would run, with estimates")
    w = sub.add_parser("worker", help=argparse.SUPPRESS)
    w.add_argument("--plan", required=True)
    w.add_argument("--out", required=True)
    w.add_argument("--keys", nargs="+", required=True)
    w.add_argument("--galore-src")
    w.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    w.add_argument("--nvml-idle")
    pr = sub.add_parser("probe", help="time and measure torch.linalg.svd for the plan's projected shapes")
    pr.add_argument("--plan", required=True)
    pr.add_argument("--out", required=True)
    pr.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    pr.add_argument("--galore-src", help="also measure what galore-torch's projector keeps (float32 and bfloat16 gradients)")
    s = sub.add_parser("summary", help="print the table of OUT/reference.csv")
    s.add_argument("--out", required=True)
    ns = ap.parse_args()
    if getattr(ns, "galore_src", None) and not os.path.isdir(ns.galore_src):
        ap.error(f"--galore-src {ns.galore_src} is not a folder")
    if getattr(ns, "plan", None) and ns.cmd != "plan" and not os.path.isfile(ns.plan):
        ap.error(f"--plan {ns.plan} does not exist: run the plan subcommand first")
    {"plan": cmd_plan, "run": cmd_run, "worker": cmd_worker, "probe": cmd_probe, "summary": lambda n: summarize(n.out)}[ns.cmd](ns)


if __name__ == "__main__":
    main()
