using System.Text.Json;

namespace GaLore.Cli.Tests.Profiling;

/// <summary>End to end: the CLI starts a real worker process that trains a small model and measures it.</summary>
public class ProfileCommandTests
{
    [Fact]
    public void Profile_trains_in_a_child_process_and_reports_prediction_and_measurement()
    {
        var (exit, output, err) = ProcessRunner.Run(null, "profile", "--model", "tiny", "--optim", "galore_adamw_layerwise", "--rank", "8",
            "--batch", "2", "--seq", "32", "--dtype", "fp32", "--json");
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("predicted_peak_bytes").GetInt64() > 0);
        Assert.True(root.GetProperty("measured_peak_bytes").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Number, root.GetProperty("error_pct").ValueKind);
        var result = root.GetProperty("result");
        Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
        Assert.Contains(result.GetProperty("refresh_steps").EnumerateArray(), _ => true); // a projector refresh was measured
        Assert.Equal(158_016, result.GetProperty("parameter_count").GetInt64());          // the model is the planner's table
    }

    [Fact]
    public void Bad_profile_input_is_one_line_and_exit_2()
    {
        var (exit, output, err) = CliRunner.Run("profile", "--model", "tiny", "--device", "tpu");
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains("unknown device 'tpu'", err);
    }
}
