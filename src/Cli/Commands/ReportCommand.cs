using System.CommandLine;
using GaLore.Cli.Options;
using GaLore.Cli.Reports;
using GaLore.Cli.Reports.Capacity;
using GaLore.Planner;
using GaLore.Planner.Capacity;
using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Cli.Commands;

/// <summary>
/// <c>galore-plan report</c>: a capacity report for GPUs × models × optimizers — verdict, peak, headroom,
/// largest batch, longest sequence, and a recommendation per (GPU, model) — as Markdown, HTML, charts and CSV.
/// The work is in <see cref="CapacityAnalysis"/> and <see cref="CapacityReport"/>; this class parses options.
/// </summary>
public static class ReportCommand
{
    /// <summary>The optimizers a report compares by default: the project's twelve core names (AdamW, 8-bit AdamW, Adafactor,
    /// each with GaLore and layerwise) and APOLLO beside GaLore.</summary>
    public static readonly IReadOnlyList<string> DefaultOptimizers = [.. OptimizerSpec.Names, "apollo_adamw", "apollo_adamw_layerwise", "adamw+lora", "adamw+qlora"];

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var step = new StepOptions();
        var card = new GpuOptions();
        var multi = new MultiGpuOptions();
        var gpus = new Option<string>("--gpu", "-g")
        {
            Description = "GPUs, comma-separated: catalogue names (see `galore-plan gpus`) or capacities such as 24GiB",
            DefaultValueFactory = _ => "rtx-4090",
        };
        var models = new Option<string?>("--models") { Description = "Models, comma-separated presets or config.json paths (default: " + string.Join(", ", ModelPresets.ReportDefaults) + ")" };
        var optims = new Option<string?>("--optims")
        {
            Description = "Optimizers, comma-separated, any of `--optim`'s names, each also with +lora or +qlora for adapter fine-tuning (default: the twelve core names, APOLLO's two, LoRA and QLoRA: " +
                          string.Join(", ", DefaultOptimizers) + ")",
        };
        var chartModels = new Option<string?>("--chart-models")
        {
            Description = "Models to chart per GPU, comma-separated, from --models (default: the largest model on which some optimizer fits batch 1)",
        };
        var outDir = new Option<string>("--out") { Description = "Folder for report.md, report.html, capacity.csv and charts/", Required = true };
        var cmd = new Command("report",
            "Write a capacity report: for every GPU × model × optimizer, whether batch 1 fits, the predicted peak and headroom (GiB), " +
            "the largest batch at --seq and the longest sequence at batch 1, plus a recommended configuration per (GPU, model) " +
            "(most tokens per step at the largest batch), and how many cards of each catalogue GPU each model needs under each multi-GPU strategy. " +
            "Writes report.md, report.html, capacity.csv and charts (PNG, SVG, CSV) to --out.\n" +
            "Defaults: rtx-4090, the GaLore paper's Llama sizes, the common 7–9B checkpoints and the 70B models (see --models), the twelve core optimizers, APOLLO's two, LoRA and QLoRA (adamw+lora, adamw+qlora), bf16, seq 256, GaLore/APOLLO rank 128, runtime pytorch.");
        foreach (Option o in new Option[] { gpus, models, optims, step.Dtype, step.Seq, step.Rank, step.ProjType, step.Targets,
                     step.Checkpointing, step.Attention, step.Runtime, step.NoRefresh, step.Transformers, card.ReserveGib, card.ContextGib, chartModels, outDir })
            cmd.Options.Add(o);
        multi.AddTo(cmd);
        cmd.SetAction(r =>
        {
            if (multi.Auto(r))
                throw new PlannerInputException("report: --gpus auto is what the report's \"How many GPUs\" table answers; give --gpus N to evaluate every row on N GPUs");
            var parallel = multi.Bind(r);
            Planner.Parallel.Compatibility.CheckParallelism(parallel);
            var galore = GaLoreSettings.Default;
            if (Values.Int(r.GetValue(step.Rank), "--rank") is { } rank) galore = galore with { Rank = rank };
            if (r.GetValue(step.ProjType) is { } pt) galore = galore with { ProjType = ProjectionTypeNames.Parse(pt) };
            var settings = new CapacitySettings(Precision.Parse(r.GetValue(step.Dtype)!), step.BindSeq(r), galore.Validate(),
                TargetModules.Parse(r.GetValue(step.Targets)!), r.GetValue(step.Checkpointing), AttentionKinds.Parse(r.GetValue(step.Attention)!),
                RuntimeProfile.Parse(r.GetValue(step.Runtime)!), !r.GetValue(step.NoRefresh), card.BindContextBytes(r), card.BindReserveBytes(r))
            {
                Parallel = parallel,
            };
            var gpuList = CommandLineText.Split(r.GetValue(gpus)!, "--gpu").Select(GpuCatalog.Resolve).DistinctBy(g => g.Name).ToList();
            // Every input is checked before any work: reserve and context against each card, the output folder.
            foreach (var g in gpuList) FitQuery.ValidateCard(g, settings.ReserveBytes, settings.ContextBytes);
            var modelList = r.GetValue(models) is { } m
                ? CommandLineText.Split(m, "--models").Select(ModelResolver.Resolve).Distinct().ToList()
                : ModelPresets.ReportDefaults.Select(name => ModelPresets.Find(name)!).ToList();
            string transformers = r.GetValue(step.Transformers)!;
            modelList = modelList.Select(x => StepOptions.WithTransformers(x, transformers)).ToList();
            var optimList = r.GetValue(optims) is { } o
                ? CommandLineText.Split(o, "--optims").Select(x => Planner.Capacity.CapacityEntry.Parse(x).Label).Distinct().ToList()
                : DefaultOptimizers.ToList();
            List<ModelConfig>? charted = null;
            if (r.GetValue(chartModels) is { } cm)
                charted = CommandLineText.Split(cm, "--chart-models").Select(name =>
                    modelList.FirstOrDefault(x => string.Equals(x.Name, name, StringComparison.OrdinalIgnoreCase))
                    ?? throw new PlannerInputException($"--chart-models: '{name}' is not one of --models")).ToList();
            string dir = OutputFolder.Check(r.GetValue(outDir)!);
            var err = r.InvocationConfiguration.Error;
            foreach (var g in gpuList)
                if (FitCalculator.Bf16Warning(settings.Precision, g) is { } warning) err.WriteLine($"warning: {warning}");
            var result = CapacityAnalysis.Run(settings, gpuList, modelList, optimList, charted, err, gpuCounts: true);
            var files = CapacityReport.Write(dir, result, CommandLineText.Reproduce(r));
            var output = r.InvocationConfiguration.Output;
            output.WriteLine($"Wrote {files.Count} files to {dir}:");
            foreach (var f in files) output.WriteLine("  " + f);
            return 0;
        });
        return cmd;
    }
}
