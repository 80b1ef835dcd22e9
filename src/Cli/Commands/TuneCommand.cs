using System.CommandLine;
using System.Globalization;
using GaLore.Cli.Options;
using GaLore.Cli.Output;
using GaLore.Cli.Reports;
using GaLore.Cli.Reports.Tune;
using GaLore.Kernels.Projection;
using GaLore.Planner;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;
using GaLore.Profiler.Tuning;

namespace GaLore.Cli.Commands;

/// <summary>
/// <c>galore-plan tune</c>: recommends GaLore's rank and update_proj_gap with evidence — planner memory per rank, measured
/// projector-refresh times per projected shape, a measured or estimated step time, the overhead per T, and optionally
/// short proxy training runs. The work is in <see cref="TuneRunner"/> (src/Profiler/Tuning) and <see cref="TuneReport"/>;
/// this class parses options. TorchSharp loads only inside the action.
/// </summary>
public static class TuneCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var step = new StepOptions();
        var gpu = new GpuOptions();
        var device = new Option<string>("--device") { Description = "Where refreshes, matmuls and steps are timed: cpu, or cuda", DefaultValueFactory = _ => "cpu" };
        var ranks = new Option<string>("--ranks") { Description = "GaLore ranks to consider, comma-separated", DefaultValueFactory = _ => "64,128,256,512,1024" };
        var gaps = new Option<string>("--gaps") { Description = "update_proj_gap values T to consider, comma-separated", DefaultValueFactory = _ => "50,100,200,500,1000" };
        var refresh = new Option<string>("--refresh") { Description = "Refresh methods to time: svd (galore-torch's), randomized (this project's range finder) or both", DefaultValueFactory = _ => "both" };
        var budget = new Option<string?>("--overhead-budget") { Description = "Largest acceptable refresh overhead, percent of step time (default 5)" };
        var headroom = new Option<string?>("--headroom") { Description = "Percent of usable GPU memory kept free when choosing the rank (default 10)" };
        var trainSteps = new Option<string?>("--train-steps") { Description = "Steps of each proxy training run for the quality side (default 0: none)" };
        var proxy = new Option<string>("--proxy") { Description = "Proxy model for --train-steps: a preset or config.json", DefaultValueFactory = _ => "tiny" };
        var proxyRanks = new Option<string?>("--proxy-ranks") { Description = "Proxy ranks (default: --ranks mapped by fraction of the smallest projected side), clipped to the proxy" };
        var proxyGaps = new Option<string?>("--proxy-gaps") { Description = "Proxy update_proj_gap values (default: 2 %, 10 % and 50 % of --train-steps)" };
        var proxyLr = new Option<string?>("--proxy-lr") { Description = "Learning rate of the proxy's GaLore runs (default 0.01, with scale 0.25 as in the GaLore repository); AdamW tries 0.1, 0.3 and 1 × it" };
        var repeats = new Option<string?>("--repeats") { Description = "Most timed runs per refresh measurement (default 3; a run over 5 s is not repeated)" };
        var measureStep = new Option<string>("--measure-step")
        {
            Description = "Time real training steps of --model: auto (when the 6·N·D estimate is ≤ 1 s), always, never",
            DefaultValueFactory = _ => "auto",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (bytes, seconds, fractions) instead of the summary" };
        var timings = new Option<bool>("--timings") { Description = "With --json: include the run's own elapsed time (left out so two runs diff clean)" };
        var outDir = new Option<string>("--out") { Description = "Folder for tune.md, tune.html, charts (PNG, SVG) and their CSVs", Required = true };
        var cmd = new Command("tune",
            "Recommend GaLore's rank and update_proj_gap T with evidence: the planner's memory per rank on --gpu, the measured time of a projector refresh " +
            "(SVD and randomized) for each projected weight shape on --device, the step time (measured for small models, else 6·N·D at the measured matmul " +
            "rate), the refresh overhead per T, and with --train-steps short training runs of a proxy over rank × T against full-rank AdamW.\n" +
            "Example: galore-plan tune -m llama-7b -g rtx-4090 -o galore_adamw_8bit_layerwise --train-steps 100 --out tune/");
        foreach (Option o in new Option[] { step.Model, step.Optim, step.Scale, step.ProjType, step.Targets, step.Dtype, step.Batch, step.Seq,
                     step.Checkpointing, step.Attention, step.Runtime, step.Transformers, gpu.Gpu, gpu.ReserveGib, gpu.ContextGib, device, ranks, gaps, refresh, budget,
                     headroom, trainSteps, proxy, proxyRanks, proxyGaps, proxyLr, repeats, measureStep, json, timings, outDir })
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var galore = GaLoreSettings.Default;
            if (Values.Double(r.GetValue(step.Scale), "--scale") is { } scale) galore = galore with { Scale = scale };
            if (r.GetValue(step.ProjType) is { } pt) galore = galore with { ProjType = ProjectionTypeNames.Parse(pt) };
            var setup = new OptimizerSetup(OptimizerSpec.Parse(r.GetValue(step.Optim)!), galore.Validate(), TargetModules.Parse(r.GetValue(step.Targets)!));
            var model = StepOptions.WithTransformers(ModelResolver.Resolve(r.GetValue(step.Model)!), r.GetValue(step.Transformers)!);
            var spec = new StepSpec(model, setup, Precision.Parse(r.GetValue(step.Dtype)!),
                r.GetValue(step.Checkpointing), AttentionKinds.Parse(r.GetValue(step.Attention)!), RuntimeProfile.Parse(r.GetValue(step.Runtime)!));
            var query = new FitQuery(spec, step.BindBatch(r), step.BindSeq(r), gpu.BindGpu(r), gpu.BindContextBytes(r), gpu.BindReserveBytes(r)).Validate();
            var request = new TuneRequest
            {
                Query = query,
                Ranks = IntList(r.GetValue(ranks)!, "--ranks"),
                Gaps = IntList(r.GetValue(gaps)!, "--gaps"),
                Methods = Methods(r.GetValue(refresh)!),
                Device = Device(r.GetValue(device)!),
                Policy = new TunePolicy(Percent(r.GetValue(budget), "--overhead-budget", 5), Percent(r.GetValue(headroom), "--headroom", 10)),
                Repeats = Values.PositiveInt(r.GetValue(repeats), "--repeats", 3),
                MeasureStep = MeasureMode(r.GetValue(measureStep)!),
                TrainSteps = Values.Int(r.GetValue(trainSteps), "--train-steps") ?? 0,
                Proxy = ModelResolver.Resolve(r.GetValue(proxy)!),
                ProxyRanks = r.GetValue(proxyRanks) is { } pr ? IntList(pr, "--proxy-ranks") : null,
                ProxyGaps = r.GetValue(proxyGaps) is { } pg ? IntList(pg, "--proxy-gaps") : null,
                ProxyLearningRate = Values.Double(r.GetValue(proxyLr), "--proxy-lr") ?? 1e-2,
            }.Validate();
            string dir = OutputFolder.Check(r.GetValue(outDir)!);
            Profiling.LibTorchCheck.Require("tune");
            string command = CommandLineText.Reproduce(r);
            var err = r.InvocationConfiguration.Error;
            var result = TuneRunner.Run(request, err);
            var files = TuneReport.Write(dir, result, command);
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json)) JsonOutput.Print(output, j => TuneJson.Write(j, result, command, files, r.GetValue(timings)));
            else
            {
                output.WriteLine(TuneBasis.Headline(result) + ".");
                foreach (var item in TuneBasis.Items(result)) output.WriteLine("  - " + item.Replace("**", ""));
                output.WriteLine($"Wrote {files.Count} files to {dir}: {string.Join(", ", files)}");
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>A comma list of integers; any entry that is not one is bad input naming the option.</summary>
    public static IReadOnlyList<int> IntList(string text, string option) =>
        CommandLineText.Split(text, option).Select(item =>
            int.TryParse(item, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
                ? v
                : throw new PlannerInputException($"{option} must be a comma-separated list of integers: '{item}' is not an integer")).ToArray();

    static IReadOnlyList<RefreshMethod> Methods(string text) => text.Trim().ToLowerInvariant() switch
    {
        "svd" => [RefreshMethod.Svd],
        "randomized" or "rand" => [RefreshMethod.Randomized],
        "both" => [RefreshMethod.Svd, RefreshMethod.Randomized],
        _ => throw new PlannerInputException($"unknown --refresh '{text}': use svd, randomized or both"),
    };

    static string Device(string text)
    {
        string d = text.Trim().ToLowerInvariant();
        return d == "cpu" || d == "cuda" || d.StartsWith("cuda:", StringComparison.Ordinal)
            ? d : throw new PlannerInputException($"unknown device '{text}': use cpu or cuda");
    }

    static StepMeasureMode MeasureMode(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => StepMeasureMode.Auto,
        "always" => StepMeasureMode.Always,
        "never" => StepMeasureMode.Never,
        _ => throw new PlannerInputException($"unknown --measure-step '{text}': use auto, always or never"),
    };

    static double Percent(string? text, string option, double fallback) => (Values.Double(text, option) ?? fallback) / 100;
}
