using System.CommandLine;
using GaLore.Cli.Options;
using GaLore.Planner;
using GaLore.Planner.Devices;
using GaLore.Planner.Optimizers;
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

    /// <summary>Projector refresh interval used when <c>--update-proj-gap</c> is not given: a refresh must fall in the
    /// measured window (steps are counted from 0), and memory does not depend on T.</summary>
    public const int DefaultProfileGap = 2;

    /// <summary>A case from fit-style step options (the runtime is always this project's kernels).</summary>
    public static ValidationCase Case(StepOptions step, ParseResult r)
    {
        var s = step.Bind(r);
        var g = s.Optimizer.GaLore;
        int gap = r.GetValue(step.Gap) is null ? DefaultProfileGap : g.UpdateProjGap;
        return new ValidationCase(s.Model, s.Optimizer.Spec.Name, s.Precision.Name, step.BindBatch(r), step.BindSeq(r),
            s.Checkpointing, s.Attention.ToString().ToLowerInvariant(), g.Rank, gap, g.ProjType.Name(), s.Optimizer.Targets.Text);
    }
}
