using System.CommandLine;
using GaLore.Cli.Output;
using GaLore.Planner.Devices;

namespace GaLore.Cli.Commands;

/// <summary><c>galore-plan gpus</c>: the GPU catalogue.</summary>
public static class GpusCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var cmd = new Command("gpus", "List the GPUs the planner knows (any capacity also works: --gpu 24GiB).") { json };
        cmd.SetAction(r =>
        {
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
            {
                JsonOutput.Print(output, j =>
                {
                    j.WriteStartObject();
                    JsonOutput.WriteFormat(j, "gpus");
                    j.WriteStartArray("gpus");
                    foreach (var g in GpuCatalog.All)
                    {
                        j.WriteStartObject();
                        j.WriteString("name", g.Name);
                        j.WriteString("display_name", g.DisplayName);
                        j.WriteNumber("capacity_bytes", g.CapacityBytes);
                        j.WriteNumber("compute_capability", g.ComputeCapability);
                        j.WriteBoolean("bf16", g.SupportsBf16);
                        j.WriteEndObject();
                    }
                    j.WriteEndArray();
                    j.WriteEndObject();
                });
                return 0;
            }
            var t = new TextTable("gpu", "name", "memory GiB", "compute", "bf16");
            foreach (var g in GpuCatalog.All)
                t.Add(g.Name, g.DisplayName, Units.GibNumber(g.CapacityBytes), g.ComputeCapability.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), g.SupportsBf16 ? "yes" : "no");
            t.WriteTo(output);
            output.WriteLine("Memory is what nvidia-smi reports as total (GiB = 2^30 bytes).");
            return 0;
        });
        return cmd;
    }
}
