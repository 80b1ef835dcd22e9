using System.CommandLine;
using GaLore.Planner.Devices;

namespace GaLore.Cli.Options;

/// <summary>Options naming the card and what else occupies it.</summary>
public sealed class GpuOptions
{
    public readonly Option<string> Gpu = new("--gpu", "-g")
    {
        Description = "GPU (see `galore-plan gpus`) or a raw capacity such as 24GiB or 24GB (a bare number is GiB)",
        DefaultValueFactory = _ => "rtx-4090",
    };
    public readonly Option<string?> ReserveGib = new("--reserve")
    {
        Description = "Memory to keep free for other processes (display, another job), e.g. 2GiB or 2GB; a bare number is GiB (default 0)",
    };
    public readonly Option<string?> ContextGib = new("--cuda-context")
    {
        Description = "Memory the CUDA context takes outside PyTorch's allocator, e.g. 450MiB; a bare number is GiB (default 0.44 GiB)",
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
    public long BindReserveBytes(ParseResult r) => Values.Bytes(r.GetValue(ReserveGib), "--reserve", 0);

    /// <summary>Context in bytes.</summary>
    public long BindContextBytes(ParseResult r) => Values.Bytes(r.GetValue(ContextGib), "--cuda-context", DeviceProfile.DefaultContextBytes);
}
