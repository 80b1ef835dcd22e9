using System.Globalization;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;
using GaLore.Profiler.Measurement;

namespace GaLore.Profiler.Validation;

/// <summary>
/// One configuration to both predict (planner, <c>torchsharp</c> runtime) and measure (a profiling run of this
/// project's model and kernels). The same fields feed both sides, so they cannot describe different runs.
/// </summary>
/// <param name="Model">Model shape.</param>
/// <param name="Optimizer">One of the twelve optimizer names.</param>
/// <param name="Precision"><c>fp32</c>, <c>bf16</c> or <c>mixed</c>.</param>
/// <param name="Batch">Sequences per step.</param>
/// <param name="Seq">Tokens per sequence.</param>
/// <param name="Checkpointing">Activation checkpointing of every block.</param>
/// <param name="Attention"><c>sdpa</c> or <c>math</c>.</param>
/// <param name="Rank">GaLore rank.</param>
/// <param name="UpdateProjGap">GaLore T; small so that a refresh falls in the measured window.</param>
/// <param name="ProjType">GaLore projection type.</param>
/// <param name="Targets">GaLore target modules, command-line form (<see cref="TargetModules.Parse"/>).</param>
/// <param name="MemoryCapBytes">CUDA only: make the device this small (above the baseline) to test the fit verdict.</param>
/// <param name="MeasureRefresh">Put a GaLore projector refresh (an SVD per projected weight) in the measured window.
/// False keeps refreshes out (T is set far beyond the run), for models whose hundreds of SVDs would take minutes; the
/// planner is then asked for a step without a refresh.</param>
public sealed record ValidationCase(ModelConfig Model, string Optimizer, string Precision, int Batch, int Seq,
    bool Checkpointing = false, string Attention = "sdpa", int Rank = 64, int UpdateProjGap = 2, string ProjType = "std",
    string Targets = "attn,mlp", long? MemoryCapBytes = null, bool MeasureRefresh = true)
{
    /// <summary>T used when refreshes are kept out of the run.</summary>
    public const int NoRefreshGap = 1_000_000;

    int Gap => MeasureRefresh ? UpdateProjGap : NoRefreshGap;

    /// <summary>A stable identifier (also the resume key of a validation CSV).</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture,
        $"{Model.Name}|{Optimizer}|{Precision}|b{Batch}|s{Seq}|{(Checkpointing ? "ckpt" : "nockpt")}|{Attention}|r{Rank}|T{Gap}|{ProjType}|{Targets}{CapSuffix}");

    string CapSuffix => MemoryCapBytes is { } cap ? string.Create(CultureInfo.InvariantCulture, $"|cap{cap >> 20}MiB") : "";

    /// <summary>What the planner is asked.</summary>
    public StepSpec Step => new(Model,
        new OptimizerSetup(OptimizerSpec.Parse(Optimizer), new GaLoreSettings(Rank, Gap, 0.25, ProjectionTypeNames.Parse(ProjType)),
            TargetModules.Parse(Targets)),
        GaLore.Planner.Memory.Precision.Parse(Precision), Checkpointing, ProfileRequest.ParseAttention(Attention),
        RuntimeProfile.TorchSharpKernels, RefreshStep: MeasureRefresh && OptimizerSpec.Parse(Optimizer).GaLore);

    /// <summary>What the profiler runs. <paramref name="device"/>: <c>cpu</c> or <c>cuda</c>.</summary>
    public ProfileRequest Request(string device) => new()
    {
        Model = Model,
        Optimizer = Optimizer,
        Precision = Precision,
        Attention = Attention,
        Checkpointing = Checkpointing,
        Batch = Batch,
        SeqLen = Seq,
        UpdateProjGap = MeasureRefresh ? UpdateProjGap : null, // null: the runner does not align a refresh into the window
        OptimizerArgs = new Dictionary<string, string>
        {
            ["update_proj_gap"] = Gap.ToString(CultureInfo.InvariantCulture),
            ["rank"] = Rank.ToString(CultureInfo.InvariantCulture),
            ["scale"] = "0.25",
            ["proj_type"] = ProjType,
            ["target_modules"] = Targets,
        },
        Device = device,
        MemoryCapBytes = MemoryCapBytes,
    };
}
