using System.CommandLine;
using GaLore.Cli.Options;
using GaLore.Planner;
using GaLore.Planner.Devices;
using GaLore.Kernels.Factory;
using GaLore.Planner.Runtime;
using GaLore.Profiler.Model.Families;
using GaLore.Profiler.Validation;

namespace GaLore.Cli.Profiling;

/// <summary>Options shared by <c>profile</c> and <c>validate</c>: where to run and how long a worker may take.</summary>
public sealed class ProfileOptions
{
    public readonly Option<string> Device = new("--device")
    {
        Description = "Where to train and measure: cpu, or cuda (needs GALORE_LIBTORCH pointing at a CUDA build of libtorch)",
        DefaultValueFactory = _ => "cpu",
    };
    public readonly Option<string> Gpu = new("--gpu", "-g")
    {
        Description = "With --device cuda: the GPU, for the planner's device profile (cuBLAS workspace)",
        DefaultValueFactory = _ => "h100-80gb",
    };
    public readonly Option<string?> TimeoutMinutes = new("--timeout") { Description = "Minutes one configuration may run before it is killed (default 20)" };

    /// <summary>Adds the options.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Device);
        command.Options.Add(Gpu);
        command.Options.Add(TimeoutMinutes);
    }

    /// <summary><c>cpu</c> or <c>cuda</c> (<c>cuda:N</c> accepted).</summary>
    public string BindDevice(ParseResult r) => ParseDevice(r.GetValue(Device)!);

    /// <summary>Validates a TorchSharp device name: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public static string ParseDevice(string text)
    {
        string d = text.Trim().ToLowerInvariant();
        return d == "cpu" || d == "cuda" || d.StartsWith("cuda:", StringComparison.Ordinal)
            ? d : throw new PlannerInputException($"unknown device '{d}': use cpu or cuda");
    }

    /// <summary>The planner's device profile for the device.</summary>
    public DeviceProfile BindDeviceProfile(ParseResult r) =>
        BindDevice(r) == "cpu" ? DeviceProfile.Cpu : DeviceProfile.Cuda(GpuCatalog.Resolve(r.GetValue(Gpu)!).ComputeCapability);

    /// <summary>Per-configuration time limit.</summary>
    public TimeSpan BindTimeout(ParseResult r)
    {
        double minutes = Values.Double(r.GetValue(TimeoutMinutes), "--timeout") ?? 20;
        return minutes > 0 ? TimeSpan.FromMinutes(minutes) : throw new PlannerInputException("--timeout must be positive");
    }

    /// <summary>The model <c>profile</c> trains by default: the GaLore paper's 60M LLaMA, a step in well under a second on a CPU.</summary>
    public const string DefaultModel = "llama-60m";

    /// <summary>The optimizer <c>profile</c> trains by default.</summary>
    public const string DefaultOptimizer = "galore_adamw";

    /// <summary>Projector refresh interval used when <c>--update-proj-gap</c> is not given: a refresh must fall in the
    /// measured window (steps are counted from 0), and memory does not depend on T. With <c>--no-refresh</c> the default is
    /// <see cref="ValidationCase.NoRefreshGap"/>, so no refresh falls in the window.</summary>
    public const int DefaultProfileGap = 2;

    /// <summary>
    /// The case to profile: the step the shared binder makes of the command line (every option <c>fit</c> honours),
    /// run on this project's kernels. Options that cannot be honoured are refused here, before any child process starts:
    /// <c>--runtime pytorch</c> (the profiler measures the TorchSharp kernels), a model family without a TorchSharp model,
    /// an optimizer without a kernel.
    /// </summary>
    public static ValidationCase Case(StepOptions step, ParseResult r)
    {
        var s = step.Bind(r);
        if (step.Given(r, step.Runtime) && !ReferenceEquals(s.Stack, RuntimeProfile.TorchSharpKernels))
            throw new PlannerInputException(
                $"profile measures this project's TorchSharp kernels: --runtime {s.Stack.Name} cannot be honoured (use --runtime torchsharp or leave it out)");
        if (!FamilyTwins.Has(s.Model.Family))
            throw new PlannerInputException($"model family '{s.Model.Family.ModelType}' has no TorchSharp model here: it can be planned with fit, not profiled");
        if (!KernelCatalog.Has(s.Optimizer.Spec.Model))
            throw new PlannerInputException($"optimizer '{s.Optimizer.Spec.Name}' has no TorchSharp kernel here: it can be planned with fit, not profiled");
        var setup = s.Optimizer;
        if (!step.Given(r, step.Gap) && !OptimArgsSetGap(r, step))
            setup = setup with { GaLore = setup.GaLore with { UpdateProjGap = s.RefreshStep ? DefaultProfileGap : ValidationCase.NoRefreshGap } };
        var profiled = s with { Optimizer = setup, Runtime = RuntimeProfile.TorchSharpKernels, RefreshStep = s.RefreshStep && setup.Spec.GaLore };
        if (!profiled.RefreshStep && setup.Spec.GaLore && setup.GaLore.UpdateProjGap <= GaLore.Profiler.Measurement.ProfileRequest.DefaultMeasuredSteps)
            throw new PlannerInputException(
                $"--no-refresh needs update_proj_gap above the {GaLore.Profiler.Measurement.ProfileRequest.DefaultMeasuredSteps} measured steps, got {setup.GaLore.UpdateProjGap}");
        return new ValidationCase(profiled, step.BindBatch(r), step.BindSeq(r));
    }

    static bool OptimArgsSetGap(ParseResult r, StepOptions step) =>
        r.GetValue(step.OptimArgs) is { } text && text.Replace(" ", "").Contains("update_proj_gap=", StringComparison.OrdinalIgnoreCase);
}
