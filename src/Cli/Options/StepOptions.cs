using System.CommandLine;
using GaLore.Planner;
using GaLore.Planner.Inputs;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Cli.Options;

/// <summary>
/// The options that describe a training step (model, optimizer and its knobs, precision, batch shape,
/// checkpointing, attention, runtime), shared by fit, sweep, report, profile and tune. Knobs given
/// explicitly override the same key in <c>--optim-args</c>.
/// </summary>
public sealed class StepOptions
{
    public readonly Option<string> Model = new("--model", "-m")
    {
        Description = "Model: a preset (see `galore-plan models`), a Hugging Face id found in the local cache (org/name), or a config.json (or its folder)",
        DefaultValueFactory = _ => "llama-7b",
    };
    public readonly Option<string> Optim = new("--optim", "-o")
    {
        Description = "Optimizer: a Hugging Face TrainingArguments.optim name (aliases after =), or one of this project's " +
                      "layerwise baselines (*; HF builds layerwise optimizers only for GaLore and APOLLO). HF's default on torch ≥ 2.8 is " + OptimizerCatalog.HuggingFaceDefault +
                      (HelpText.Wanted ? ". By library:" + OptimizerCatalog.GroupedHelp() : ""),
        DefaultValueFactory = _ => "galore_adamw_8bit_layerwise",
    };
    public readonly Option<string?> Rank = new("--rank") { Description = "GaLore/APOLLO rank r (default 128, Hugging Face's; APOLLO-Mini: 1)" };
    public readonly Option<string?> Gap = new("--update-proj-gap") { Description = "GaLore/APOLLO T: steps between projector refreshes (default 200)" };
    public readonly Option<string?> Scale = new("--scale") { Description = "GaLore/APOLLO α: update scale (default 0.25 for GaLore, 1.0 for APOLLO; APOLLO-Mini: 128)" };
    public readonly Option<string?> ProjType = new("--proj-type") { Description = "GaLore/APOLLO projection: std, reverse_std, left, right, full (default std)" };
    public readonly Option<string> Targets = new("--target-modules")
    {
        Description = "Modules GaLore or APOLLO projects (optim_target_modules), HF semantics: comma list (match by equality, substring or full regex), regex:PATTERN, or all-linear",
        DefaultValueFactory = _ => "attn,mlp",
    };
    public readonly Option<string?> OptimArgs = new("--optim-args")
    {
        Description = "Hugging Face optim_args string, e.g. \"rank=64, update_proj_gap=500, scale=0.25, proj_type=std\" (GaLore), " +
                      "\"rank=1, scale_type=tensor, scale=128\" (APOLLO-Mini), \"momentum=0.9\" (sgd); each name reads its own keys",
    };
    public readonly Option<string> Dtype = new("--dtype")
    {
        Description = "Precision: bf16 (pure BF16, the paper's setting), fp32, mixed (fp32 master weights, bf16 compute) or fp16 (fp32 master weights, fp16 compute, loss scaling)",
        DefaultValueFactory = _ => "bf16",
    };
    public readonly Option<string?> Batch = new("--batch", "-b") { Description = "Micro-batch size (sequences per step; default 1)" };
    public readonly Option<string?> Seq = new("--seq", "-s") { Description = "Sequence length in tokens (default 256)" };
    public readonly Option<bool> Checkpointing = new("--checkpointing") { Description = "Activation checkpointing on every decoder block" };
    public readonly Option<string> Attention = new("--attention")
    {
        Description = "Attention implementation: sdpa (fused/flash, default) or math (materialises the s×s matrix)",
        DefaultValueFactory = _ => "sdpa",
    };
    public readonly Option<string> Runtime = new("--runtime")
    {
        Description = "Implementation stack to predict: pytorch (transformers + galore-torch + bitsandbytes) or torchsharp (this project's kernels)",
        DefaultValueFactory = _ => "pytorch",
    };
    public readonly Option<bool> NoRefresh = new("--no-refresh") { Description = "Predict a step without a projector refresh (GaLore's SVD workspace, APOLLO's Gaussian draw are left out)" };
    public readonly Option<string> Transformers = new("--transformers")
    {
        Description = "transformers major version whose mixture-of-experts layout to plan for: 5 (experts fused into 3-D parameters, " +
                      "grouped_mm; GaLore projects no expert) or 4 (one nn.Linear per expert, eager loop). Dense models are the same in both",
        DefaultValueFactory = _ => "5",
    };
    public readonly Option<string?> TrainingArgs = new("--training-args")
    {
        Description = "A Hugging Face TrainingArguments JSON (TrainingArguments.to_json_string()): optim, optim_args, optim_target_modules, " +
                      "per_device_train_batch_size, gradient_checkpointing, bf16/fp16 become the step; options on the command line override it",
    };

    /// <summary>--peft and the LoRA/QLoRA knobs.</summary>
    public readonly AdapterOptions Adapters = new();

    /// <summary>Adds the options to a command. <paramref name="withBatch"/> adds --batch/--seq too.</summary>
    public void AddTo(Command command, bool withBatch = true)
    {
        foreach (Option o in new Option[] { Model, Optim, Rank, Gap, Scale, ProjType, Targets, OptimArgs, Dtype, Checkpointing, Attention, Runtime, NoRefresh, Transformers, TrainingArgs })
            command.Options.Add(o);
        Adapters.AddTo(command);
        if (withBatch)
        {
            command.Options.Add(Batch);
            command.Options.Add(Seq);
        }
    }

    /// <summary>Builds the step from the parsed command line; bad values become <see cref="PlannerInputException"/>. Options
    /// written on the command line win over <c>--training-args</c>, which wins over the defaults.</summary>
    public StepSpec Bind(ParseResult r)
    {
        var model = WithTransformers(ModelResolver.Resolve(r.GetValue(Model)!), r.GetValue(Transformers)!);
        var hf = BindTrainingArgs(r);
        var precision = !Given(r, Dtype) && hf?.Precision is { } p ? p : Precision.Parse(r.GetValue(Dtype)!);
        bool checkpointing = Given(r, Checkpointing) ? r.GetValue(Checkpointing) : hf?.Checkpointing ?? false;
        var optimizer = BindOptimizer(r);
        var adapters = Adapters.Bind(r);
        if (adapters is not null) Planner.Adapters.AdapterSetup.CheckOptimizer(optimizer.Spec);
        return new StepSpec(model, optimizer, precision, checkpointing,
            AttentionKinds.Parse(r.GetValue(Attention)!), RuntimeProfile.Parse(r.GetValue(Runtime)!), RefreshStep: !r.GetValue(NoRefresh))
        { Adapters = adapters };
    }

    /// <summary>The optimizer part alone.</summary>
    public OptimizerSetup BindOptimizer(ParseResult r)
    {
        var hf = BindTrainingArgs(r);
        // With --peft and no --optim: Hugging Face Trainer's default optimizer (adamw_torch), not GaLore (which cannot train adapters).
        // A --training-args file without optim means Hugging Face's default, as it would for the run it describes.
        string optim = Given(r, Optim) ? r.GetValue(Optim)! : hf?.Optim ?? (r.GetValue(Adapters.Peft) is not null || hf is not null ? "adamw" : r.GetValue(Optim)!);
        // The file's optim_args belong to the file's optim: an --optim on the command line does not inherit them.
        string? optimArgs = !Given(r, OptimArgs) && !Given(r, Optim) && hf?.OptimArgs is { } a ? a : r.GetValue(OptimArgs);
        var spec = ParseOptimizer(optim);
        var (settings, args) = Planner.Optimizers.OptimArgs.Parse(optimArgs, spec);
        if (Values.Int(r.GetValue(Rank), "--rank") is { } rank) settings = settings with { Rank = rank };
        if (Values.Int(r.GetValue(Gap), "--update-proj-gap") is { } gap) settings = settings with { UpdateProjGap = gap };
        if (Values.Double(r.GetValue(Scale), "--scale") is { } scale) settings = settings with { Scale = scale };
        if (r.GetValue(ProjType) is { } pt) settings = settings with { ProjType = ProjectionTypeNames.Parse(pt) };
        var targets = !Given(r, Targets) && hf?.Targets is { } t ? t : TargetModules.Parse(r.GetValue(Targets)!);
        return new OptimizerSetup(spec, settings.Validate(), targets, args);
    }

    /// <summary>An optimizer name; an unknown one gets the closest catalogue name as a hint.</summary>
    static OptimizerSpec ParseOptimizer(string name)
    {
        try { return OptimizerSpec.Parse(name); }
        catch (PlannerInputException e) when (DidYouMean.Closest(name, OptimizerSpec.Names) is { } close)
        {
            throw new PlannerInputException($"{e.Message} (did you mean {close}?)", e);
        }
    }

    /// <summary>The <c>--training-args</c> file, read once per parse; null when not given.</summary>
    public HfTrainingArguments? BindTrainingArgs(ParseResult r)
    {
        if (r.GetValue(TrainingArgs) is not { } path) return null;
        if (ReferenceEquals(trainingArgsFor, r)) return trainingArgs;
        trainingArgs = HfTrainingArguments.Load(path);
        trainingArgsFor = r;
        return trainingArgs;
    }

    HfTrainingArguments? trainingArgs;
    ParseResult? trainingArgsFor;

    /// <summary>
    /// What the user should know about how the command line was read: knobs given that the optimizer ignores (GaLore's on a
    /// name without GaLore, <c>--no-refresh</c> without projections), and what <c>--training-args</c> could not model.
    /// </summary>
    public IReadOnlyList<string> Notes(ParseResult r, OptimizerSetup setup)
    {
        var notes = new List<string>();
        if (!setup.Spec.GaLore)
        {
            var ignored = new List<string>();
            foreach (var (option, flag) in new (Option Option, string Flag)[] { (Rank, "--rank"), (Gap, "--update-proj-gap"), (Scale, "--scale"), (ProjType, "--proj-type"), (Targets, "--target-modules"), (NoRefresh, "--no-refresh") })
                if (Given(r, option)) ignored.Add(flag);
            if (r.GetValue(OptimArgs) is { } text)
                foreach (var key in Planner.Optimizers.OptimArgs.GaLoreKeys)
                    if (text.Replace(" ", "").Contains(key + "=", StringComparison.OrdinalIgnoreCase)) ignored.Add($"optim_args {key}");
            if (ignored.Count > 0)
                notes.Add($"{string.Join(", ", ignored)} {(ignored.Count == 1 ? "has" : "have")} no effect with {setup.Spec.Name}, which does not use GaLore: ignored");
        }
        if (BindTrainingArgs(r) is { } hf)
        {
            notes.AddRange(hf.Warnings);
            if (Given(r, Batch) && hf.Batch is { } b) notes.Add($"--batch overrides per_device_train_batch_size={b} from --training-args");
        }
        return notes;
    }

    /// <summary>Whether <paramref name="option"/> was written on the command line (not its default).</summary>
    public bool Given(ParseResult r, Option option) => r.GetResult(option) is { Implicit: false };

    /// <summary>Batch size, validated: <c>--batch</c>, else <c>per_device_train_batch_size</c> of <c>--training-args</c>, else 1.</summary>
    public int BindBatch(ParseResult r) =>
        Values.PositiveInt(r.GetValue(Batch), "--batch", BindTrainingArgs(r)?.Batch ?? 1, InputBounds.MaxBatch);

    /// <summary>Sequence length, validated.</summary>
    public int BindSeq(ParseResult r) => Values.PositiveInt(r.GetValue(Seq), "--seq", 256, InputBounds.MaxSeq);

    /// <summary>The model as <c>--transformers</c> lays out its mixture-of-experts blocks (5: <see cref="MoeLayout.Fused"/>,
    /// 4: <see cref="MoeLayout.PerExpert"/>); a dense model is returned as it is.</summary>
    public static ModelConfig WithTransformers(ModelConfig model, string version)
    {
        var layout = version.Trim() switch
        {
            "5" or "5.x" => MoeLayout.Fused,
            "4" or "4.x" => MoeLayout.PerExpert,
            _ => throw new PlannerInputException($"unknown --transformers '{version}': use 5 (fused experts) or 4 (one Linear per expert)"),
        };
        return model.Moe is { } moe && moe.Layout != layout ? model with { Moe = moe with { Layout = layout } } : model;
    }
}
