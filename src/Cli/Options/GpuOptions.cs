using System.CommandLine;
using GaLore.Planner;
using GaLore.Planner.Devices;

namespace GaLore.Cli.Options;

/// <summary>Options naming the card and what else occupies it.</summary>
public sealed class GpuOptions
{
    public readonly Option<string> Gpu = new("--gpu", "-g")
    {
        Description = "GPU (see `galore-plan gpus`) or a raw capacity such as 24GiB or 24GB",
        DefaultValueFactory = _ => "rtx-4090",
    };
    public readonly Option<double> ReserveGib = new("--reserve")
    {
        Description = "GiB to keep free for other processes (display, another job)",
        DefaultValueFactory = _ => 0,
    };
    public readonly Option<double> ContextGib = new("--cuda-context")
    {
        Description = "GiB the CUDA context takes outside PyTorch's allocator",
        DefaultValueFactory = _ => DeviceProfile.DefaultContextBytes / (double)(1L << 30),
    };

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Gpu);
        command.Options.Add(ReserveGib);
        command.Options.Add(ContextGib);
    }

    /// <summary>The GPU named on the command line.</summary>
    public GpuSpec BindGpu(ParseResult r) => GpuCatalog.Resolve(r.GetValue(Gpu)!);

    /// <summary>Reserve in bytes.</summary>
    public long BindReserveBytes(ParseResult r) => Bytes(r.GetValue(ReserveGib), "--reserve");

    /// <summary>Context in bytes.</summary>
    public long BindContextBytes(ParseResult r) => Bytes(r.GetValue(ContextGib), "--cuda-context");

    static long Bytes(double gib, string name) =>
        gib >= 0 && double.IsFinite(gib) ? (long)(gib * (1L << 30)) : throw new PlannerInputException($"{name} must be a non-negative number of GiB, got {gib}");
}
