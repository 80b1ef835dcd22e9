using GaLore.Planner.Optimizers;
using GaLore.Planner.Memory;
using GaLore.Planner.Optimizers.Families;

namespace GaLore.Planner.Parallel;

/// <summary>
/// What the libraries allow, as they behave: a one-line error (<see cref="PlannerInputException"/>) where they raise or the
/// combination means nothing, a warning where they run but not as one might assume. Sources: transformers'
/// <c>trainer_optimizer.py</c> (<c>_setup_low_rank_optimizer</c>), DeepSpeed's ZeRO stages (<c>stage_1_and_2.py</c>,
/// <c>stage3.py</c>, <c>engine.py</c>), PyTorch FSDP2 (<c>_fully_shard</c>), galore-torch (<c>GaLoreProjector</c>) and the
/// GaLore issues (jiaweizzhao/GaLore#2, #55).
/// </summary>
public static class Compatibility
{
    /// <summary>Throws on an impossible combination; returns the warnings of a possible one.</summary>
    public static IReadOnlyList<string> Check(StepSpec s)
    {
        CheckParallelism(s.Parallel);
        var par = s.Parallel;
        var strategy = par.Strategy;
        var spec = s.Optimizer.Spec;
        if (spec.Layerwise && strategy.Distributed)
            throw new PlannerInputException(
                $"{spec.Name} under {strategy.Name}: Hugging Face raises NotImplementedError(\"Layer-wise {spec.Name} does not support DDP at this time\") " +
                "under any distributed launch (DDP, FSDP, DeepSpeed): layerwise updates step each parameter inside backward, before its gradient is reduced");
        if (spec.Layerwise && par.GradAccum > 1)
            throw new PlannerInputException(
                $"{spec.Name} with --grad-accum {par.GradAccum}: Hugging Face raises ValueError(\"Layerwise {spec.Name} does not support gradient accumulation!\"): " +
                "each gradient is applied and freed inside backward, so nothing accumulates");
        if (spec.GaLore && strategy is Zero1Strategy or Zero2Strategy or Zero3Strategy)
            throw new PlannerInputException(
                $"{spec.Name} under DeepSpeed ZeRO-{strategy.Name[^1]}: DeepSpeed hands the optimizer flat 1-D fp32 partitions of the parameters " +
                $"(every stage flattens), which {spec.LowRank.Library()} cannot project " +
                "(its projector needs each weight's 2-D gradient; jiaweizzhao/GaLore#2); use --strategy ddp or fsdp");

        var warnings = new List<string>();
        if (strategy is Zero1Strategy or Zero2Strategy or Zero3Strategy)
        {
            if (s.Precision.Mode == PrecisionMode.Bf16)
                warnings.Add("DeepSpeed's bf16 mode keeps fp32 master weights and fp32 optimizer states whatever the model dtype: predicted in ZeRO's layout " +
                             "(bf16 weights and gradients, fp32 master, m and v; K = 12 for AdamW), not pure bf16");
            if (s.Precision.Mode == PrecisionMode.Mixed)
                warnings.Add("mixed under DeepSpeed is its bf16 mode: a bf16 model with fp32 master weights and states, no torch autocast weight copies");
            if (ReferenceEquals(spec.Model, Optimizers.OptimizerCatalog.Adafactor))
                warnings.Add("DeepSpeed hands Adafactor flat 1-D partitions: its second moment is a full float32 vector, not factored rows and columns");
            if (par.Offload != OffloadMode.None)
                warnings.Add("offload steps the optimizer on the CPU: DeepSpeed raises ZeRORuntimeException for an optimizer it did not build " +
                             "unless \"zero_force_ds_cpu_optimizer\": false, or the DeepSpeed config names the optimizer (DeepSpeedCPUAdam)");
        }
        if (strategy is Fsdp2Strategy)
        {
            if (s.Precision.Mode == PrecisionMode.Mixed)
                warnings.Add("FSDP2 mixed precision: fp32 shards are the master copy; all-gathers, compute and reduce-scatters in bf16 (MixedPrecisionPolicy(param_dtype=bf16)), no autocast copies");
            if (spec.GaLore)
                warnings.Add("galore-torch is not written for FSDP2's DTensor shards (its projector runs torch.linalg.svd on the gradient): predicted for a GaLore that " +
                             "projects each shard and all-gathers a weight's full gradient at every refresh (right projections' states sharded, left ones' replicated)");
            if (spec.Model is AdamW8bitModel)
                warnings.Add("bitsandbytes' 8-bit optimizers are not written for DTensor parameters: predicted as 8-bit states of each local shard");
        }
        if (strategy is DdpStrategy && spec.GaLore)
            warnings.Add("GaLore under DDP: every GPU keeps the whole low-rank states and projectors, and refreshes them on the same averaged gradient");
        return warnings;
    }

    /// <summary>Throws when the GPU count, strategy, offload and accumulation mean nothing together, whatever the optimizer.</summary>
    public static void CheckParallelism(Parallelism par)
    {
        var strategy = par.Strategy;
        int n = par.Gpus;
        if (n < 1) throw new PlannerInputException($"--gpus must be at least 1, got {n}");
        if (par.GradAccum < 1) throw new PlannerInputException($"--grad-accum must be a positive integer, got {par.GradAccum}");
        if (strategy is SingleDevice)
        {
            if (n > 1) throw new PlannerInputException($"--gpus {n} needs a --strategy ({Strategies.Names}): several GPUs train through an engine");
            if (par.Offload != OffloadMode.None)
                throw new PlannerInputException($"--offload {par.Offload.Name()} needs --strategy zero1, zero2, zero3 or fsdp: offloading is what those engines do");
        }
        else if (n == 1 && !strategy.Shards)
            throw new PlannerInputException($"--strategy {strategy.Name} with --gpus 1 replicates the model onto no other GPU: use --gpus 2 or more");
        else if (n == 1 && par.Offload == OffloadMode.None)
            throw new PlannerInputException($"--strategy {strategy.Name} with --gpus 1 partitions over one GPU, which changes nothing: use --gpus 2 or more, or --offload optimizer");
        if (par.Offload != OffloadMode.None && !strategy.Offers(par.Offload))
            throw new PlannerInputException(strategy switch
            {
                Fsdp2Strategy => "--offload optimizer: FSDP2's CPUOffloadPolicy moves parameters, gradients and optimizer states together; use --offload optimizer+params",
                Zero1Strategy or Zero2Strategy =>
                    $"--offload optimizer+params: DeepSpeed offloads parameters (offload_param) only under ZeRO-3; use --strategy zero3 or --offload optimizer",
                _ => $"--offload {par.Offload.Name()} needs --strategy zero1, zero2, zero3 or fsdp; {strategy.Name} keeps everything on the GPUs",
            });
    }
}
