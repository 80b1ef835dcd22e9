using System.Globalization;
using GaLore.Planner.Adapters;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;
using GaLore.Profiler.Measurement;

namespace GaLore.Profiler.Validation;

/// <summary>
/// One configuration to both predict (the planner, <c>torchsharp</c> runtime) and measure (a profiling run of this
/// project's model and kernels): one <see cref="StepSpec"/> feeds both sides whole, so they cannot describe different runs.
/// </summary>
/// <param name="Step">The step; its runtime is this project's kernels.</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="Seq">Tokens per sequence.</param>
/// <param name="MemoryCapBytes">CUDA only: make the device this small (above the baseline) to test the fit verdict.</param>
public sealed record ValidationCase(StepSpec Step, int Batch, int Seq, long? MemoryCapBytes = null)
{
    /// <summary>T used when refreshes are kept out of the run.</summary>
    public const int NoRefreshGap = 1_000_000;

    /// <summary>The model.</summary>
    public ModelConfig Model => Step.Model;

    /// <summary>The optimizer's canonical name.</summary>
    public string Optimizer => Step.Optimizer.Spec.Name;

    /// <summary><c>fp32</c>, <c>bf16</c> or <c>mixed</c>.</summary>
    public string Precision => Step.Precision.Name;

    /// <summary>Activation checkpointing of every block.</summary>
    public bool Checkpointing => Step.Checkpointing;

    /// <summary><c>sdpa</c> or <c>math</c>.</summary>
    public string Attention => Step.Attention.Name();

    /// <summary>GaLore rank.</summary>
    public int Rank => Step.Optimizer.GaLore.Rank;

    /// <summary>GaLore T.</summary>
    public int UpdateProjGap => Step.Optimizer.GaLore.UpdateProjGap;

    /// <summary>GaLore projection type.</summary>
    public string ProjType => Step.Optimizer.GaLore.ProjType.Name();

    /// <summary>A stable identifier (also the resume key of a validation CSV): the configuration's every setting, with
    /// GaLore's scale and the family's knobs only when they differ from HF's defaults.</summary>
    public string Key
    {
        get
        {
            var o = Step.Optimizer;
            string scale = o.GaLore.Scale == GaLoreSettings.Default.Scale ? "" : string.Create(CultureInfo.InvariantCulture, $"|scale{o.GaLore.Scale:R}");
            string knobs = o.Knobs.Values.Count == 0 ? "" : "|" + o.Knobs;
            string cap = MemoryCapBytes is { } c ? string.Create(CultureInfo.InvariantCulture, $"|cap{c >> 20}MiB") : "";
            string peft = Step.Adapters is { } a ? "|" + AdapterKey(a) : "";
            return string.Create(CultureInfo.InvariantCulture,
                $"{Model.Name}|{Optimizer}|{Precision}|b{Batch}|s{Seq}|{(Checkpointing ? "ckpt" : "nockpt")}|{Attention}|r{Rank}|T{UpdateProjGap}|{ProjType}|{o.Targets}{scale}{knobs}{cap}{peft}");
        }
    }

    /// <summary>The adapters in a key: e.g. <c>qlora-nf4+dq-r16-alpha16-all-linear</c>.</summary>
    static string AdapterKey(AdapterSetup a)
    {
        string quant = a.Quant == BaseQuant.None ? "" : "-" + AdapterSetup.Name(a.Quant) + (a.DoubleQuant ? "+dq" : "");
        string dropout = a.Dropout > 0 ? string.Create(CultureInfo.InvariantCulture, $"-dropout{a.Dropout:R}") : "";
        string targets = a.Targets?.ToString() ?? "default";
        return string.Create(CultureInfo.InvariantCulture,
            $"{(a.Quant == BaseQuant.None ? "" : "q")}{a.Method.ToString().ToLowerInvariant()}{quant}-r{a.Rank}-alpha{a.Alpha:R}{dropout}-{targets}");
    }

    /// <summary>What the profiler runs. <paramref name="device"/>: <c>cpu</c> or <c>cuda</c>.</summary>
    public ProfileRequest Request(string device) => new() { Step = Step, Batch = Batch, SeqLen = Seq, Device = device, MemoryCapBytes = MemoryCapBytes };

    /// <summary>
    /// A case from its settings, as the validation matrix writes them. <paramref name="measureRefresh"/> = false keeps
    /// refreshes out of the measured window (T is set to <see cref="NoRefreshGap"/>), for models whose hundreds of SVDs
    /// would take minutes; the planner is then asked for a step without a refresh.
    /// </summary>
    public static ValidationCase Of(ModelConfig model, string optimizer, string precision, int batch, int seq,
        bool checkpointing = false, string attention = "sdpa", int rank = 64, int updateProjGap = 2, string projType = "std",
        string targets = "attn,mlp", long? memoryCapBytes = null, bool measureRefresh = true, double scale = 0.25, string? optimArgs = null,
        AdapterSetup? adapters = null)
    {
        var spec = OptimizerSpec.Parse(optimizer);
        var args = OptimArgs.Parse(optimArgs, spec).Args;
        var galore = new GaLoreSettings(rank, measureRefresh ? updateProjGap : NoRefreshGap, scale, ProjectionTypeNames.Parse(projType));
        var setup = new OptimizerSetup(spec, galore.Validate(), TargetModules.Parse(targets), args);
        var step = new StepSpec(model, setup, GaLore.Planner.Memory.Precision.Parse(precision), checkpointing,
            AttentionKinds.Parse(attention), RuntimeProfile.TorchSharpKernels,
            RefreshStep: measureRefresh && spec.GaLore) { Adapters = adapters?.Validate() };
        return new ValidationCase(step, batch, seq, memoryCapBytes);
    }
}
